# Copyright (c) distillbev contributors. All rights reserved.
# CMKD + UniDistill in the KD benchmark (tools/kd_benchmark.py): the combination row. Every term
# of CMKD's paper row (BEV MSE on the lift-splat BEV, quality-focal heatmap KD, confidence-weighted
# regression KD, task heads inherited from the teacher) plus UniDistill's two feature terms
# (9-keypoint L1 on the same lift-splat BEV, 9x9 keypoint relation on the BEV necks), all at their
# nuScenes weights. UniDistill's response terms are left out: CMKD's already distil the same head
# outputs, and adding both would count response KD twice. Each method keeps its own adapter, so
# the lift-splat BEV is tapped twice (`bev` for CMKD, `low` for UniDistill). No weight was tuned
# for this row.
_base_ = [
    '../_base_/distillers/bevdepth-r18_centerpoint-pillar04_synthetic-nus-bench.py',
    '../_base_/kd/cmkd.py', '../_base_/kd/unidistill.py'
]

model = dict(
    student_taps=dict(
        bev=dict(module='img_view_transformer', index=0),
        low=dict(module='img_view_transformer', index=0),
        high='img_bev_encoder_neck',
        heads='pts_bbox_head'),
    teacher_taps=dict(
        bev=dict(module='pts_backbone', index=0),
        low=dict(module='pts_backbone', index=0),
        high=dict(module='pts_neck', index=0),
        heads='pts_bbox_head'),
    adapters=dict(
        bev=dict(type='Conv1x1Adapter', in_channels=40, out_channels=64),
        low=dict(type='Conv1x1Adapter', in_channels=40, out_channels=64),
        high=dict(type='Conv1x1Adapter', in_channels=128, out_channels=384)),
    kd_targets=dict(kpts={{_base_.unidistill_kd_targets.kpts}}),
    distill_losses=dict(
        loss_bev={{_base_.cmkd_distill_losses.loss_bev}},
        loss_heatmap={{_base_.cmkd_distill_losses.loss_heatmap}},
        loss_reg={{_base_.cmkd_distill_losses.loss_reg}},
        loss_kpt_feature={{_base_.unidistill_distill_losses.loss_feature}},
        loss_kpt_relation={{_base_.unidistill_distill_losses.loss_relation}}),
    inherit_from_teacher={{_base_.cmkd_inherit_from_teacher}})
