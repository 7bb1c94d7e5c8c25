# Copyright (c) distillbev contributors. All rights reserved.
# UniDistill (Zhou et al., "UniDistill: A Universal Cross-Modality Knowledge Distillation Framework
# for 3D Object Detection in Bird's-Eye View", CVPR 2023), LiDAR -> camera: BEVDet-R50 student,
# CenterPoint voxel 0.1 teacher. Low-level features (student lift-splat BEV, teacher sparse-encoder
# BEV): L1 at the 9 keypoints of every GT box (x100); high-level features (BEV necks): 9x9
# keypoint relation (x40); responses: Gaussian-weighted max-class heatmap L1 with teacher
# temperature 2 and regression L1 (x10 each, Gaussians with min_overlap 0.7, radius >= 0).
_base_ = [
    '../_base_/distillers/bevdet-r50_centerpoint-voxel01_nus.py',
    '../_base_/kd/unidistill.py'
]

model = dict(
    student_taps=dict(
        low=dict(module='img_view_transformer', index=0),  # (B, 64, 128, 128)
        high='img_bev_encoder_neck',  # (B, 256, 128, 128)
        heads='pts_bbox_head'),
    teacher_taps=dict(
        low='pts_middle_encoder',  # (B, 256, 128, 128)
        high=dict(module='pts_neck', index=0),  # (B, 512, 128, 128)
        heads='pts_bbox_head'),
    adapters=dict(
        low=dict(type='Conv1x1Adapter', in_channels=64, out_channels=256),
        high=dict(type='Conv1x1Adapter', in_channels=256, out_channels=512)),
    kd_targets={{_base_.unidistill_kd_targets}},
    distill_losses={{_base_.unidistill_distill_losses}})
# UniDistill schedule: AdamW 2e-4, weight decay 1e-7, gradient clip 0.1
optim_wrapper = dict(optimizer=dict(weight_decay=1e-7), clip_grad=dict(max_norm=0.1))
