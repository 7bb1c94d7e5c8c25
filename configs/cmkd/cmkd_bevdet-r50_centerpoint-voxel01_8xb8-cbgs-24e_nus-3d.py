# Copyright (c) distillbev contributors. All rights reserved.
# CMKD (Hong et al., "Cross-Modality Knowledge Distillation Network for Monocular 3D Object
# Detection", ECCV 2022), nuScenes variant (CMKD-MV): BEVDet-R50 student, CenterPoint voxel 0.1
# teacher. Losses as the official CMKD-MV code: BEV feature MSE (x50) between the student's
# lift-splat BEV (64 ch, 1x1 adapter to 256) and the teacher's sparse-encoder BEV (256 ch, 128x128),
# quality-focal heatmap KD (x0.2, positives = teacher prob >= 0.5) and teacher-confidence weighted
# SmoothL1 regression KD (x50); the student keeps its GT losses and inherits the teacher's task heads.
_base_ = [
    '../_base_/distillers/bevdet-r50_centerpoint-voxel01_nus.py',
    '../_base_/kd/cmkd.py'
]

model = dict(
    student_taps=dict(
        bev=dict(module='img_view_transformer', index=0),  # (B, 64, 128, 128)
        heads='pts_bbox_head'),
    teacher_taps=dict(
        bev='pts_middle_encoder',  # SparseEncoder output (B, 256, 128, 128)
        heads='pts_bbox_head'),
    adapters=dict(bev=dict(type='Conv1x1Adapter', in_channels=64, out_channels=256)),
    distill_losses={{_base_.cmkd_distill_losses}},
    inherit_from_teacher={{_base_.cmkd_inherit_from_teacher}})
