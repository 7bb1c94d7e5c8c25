# Copyright (c) distillbev contributors. All rights reserved.
# CMKD (ECCV 2022) on the generated nuScenes-layout data: the losses and weights of
# cmkd_bevdet-r50_centerpoint-voxel01_8xb8-cbgs-24e_nus-3d.py on the small BEVDet-R18 student and
# the 0.4 m CenterPoint-pillar teacher. The student's lift-splat BEV (32 ch) is matched, through a
# 1x1 adapter, to the teacher's first SECOND stage (64 ch), its first map on the 64x64 grid.
_base_ = [
    '../_base_/distillers/bevdet-r18_centerpoint-pillar04_synthetic-nus.py',
    '../_base_/kd/cmkd.py'
]

model = dict(
    student_taps=dict(bev=dict(module='img_view_transformer', index=0), heads='pts_bbox_head'),
    teacher_taps=dict(bev=dict(module='pts_backbone', index=0), heads='pts_bbox_head'),
    adapters=dict(bev=dict(type='Conv1x1Adapter', in_channels=32, out_channels=64)),
    distill_losses={{_base_.cmkd_distill_losses}},
    inherit_from_teacher={{_base_.cmkd_inherit_from_teacher}})
