# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (Wang et al., "DistillBEV: Boosting Multi-Camera 3D Object Detection with Cross-Modal
# Knowledge Distillation", ICCV 2023): BEVDepth-R50 student, CenterPoint pillar 0.2 teacher.
# Three levels, each with the region-decomposed feature loss (foreground with box-size scaling,
# background, teacher false positives on the head level) and spatial attention:
#   backbone1: student BEV stage 2 (320 @ 32x32, x4 upsample + 3-layer MLP -> 128) vs SECOND stage 2
#              (128 @ 128x128);
#   backbone2: student BEV stage 3 (640 @ 16x16, x4 upsample + MLP -> 256) vs SECOND stage 3
#              (256 @ 64x64);
#   head:      student FPN-LSS (256 @ 128x128, 1x1 -> 384) vs SECONDFPN (384 @ 128x128).
# Weights as the official scripts (sum-reduced losses): fg 6e-3, bg 4e-2, fp 6e-2, spatial 2.5e-3;
# the released scripts average the teacher's and the student's spatial attention. Stated once in
# configs/_base_/kd/distillbev.py (`distillbev_pillar02_*`, `distillbev_bevdepth_r50_adapters`).
# The student inherits the teacher's CenterHead task heads.
_base_ = [
    '../_base_/distillers/bevdepth-r50_centerpoint-pillar02_nus.py',
    '../_base_/kd/distillbev.py'
]

model = dict(
    student_taps={{_base_.distillbev_student_taps}},
    teacher_taps={{_base_.distillbev_teacher_taps}},
    adapters={{_base_.distillbev_bevdepth_r50_adapters}},
    kd_targets={{_base_.distillbev_pillar02_kd_targets}},
    distill_losses={{_base_.distillbev_pillar02_distill_losses}},
    inherit_from_teacher={{_base_.distillbev_inherit_from_teacher}})
# DistillBEV schedule: AdamW 2e-4, grad clip 5 (student config), 24 epochs, steps at 16 and 22
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=24, milestones=[16, 22], gamma=0.1)
]
