# Copyright (c) distillbev contributors. All rights reserved.
# UniDistill (CVPR 2023) on the generated nuScenes-layout data: the losses and weights of
# unidistill_bevdet-r50_centerpoint-voxel01_8xb8-cbgs-24e_nus-3d.py on the small BEVDet-R18 student
# and the 0.4 m CenterPoint-pillar teacher. Low level: lift-splat BEV (32 ch -> 64) vs the first
# SECOND stage (64 ch); high level: BEV necks (128 ch -> 384 vs SECONDFPN 384), all at 64x64.
_base_ = [
    '../_base_/distillers/bevdet-r18_centerpoint-pillar04_synthetic-nus.py',
    '../_base_/kd/unidistill.py'
]

model = dict(
    student_taps=dict(
        low=dict(module='img_view_transformer', index=0),
        high='img_bev_encoder_neck',
        heads='pts_bbox_head'),
    teacher_taps=dict(
        low=dict(module='pts_backbone', index=0),
        high=dict(module='pts_neck', index=0),
        heads='pts_bbox_head'),
    adapters=dict(
        low=dict(type='Conv1x1Adapter', in_channels=32, out_channels=64),
        high=dict(type='Conv1x1Adapter', in_channels=128, out_channels=384)),
    kd_targets={{_base_.unidistill_kd_targets}},
    distill_losses={{_base_.unidistill_distill_losses}})
