# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (ICCV 2023) on its own student at nuScenes scale: BEVDepth4D-R50 (two key frames,
# CBGS) with the stock CenterPoint pillar 0.2 teacher. DistillBEV distils the fused current-frame
# BEV features (the BEV encoder's input is the current lift-splat BEV concatenated with the
# previous frame's, warped and detached; no per-frame distillation), at the three levels, with the
# weights, FP term and attention of distillbev_bevdepth-r50_centerpoint-pillar02_8xb8-cbgs-24e_
# nus-3d.py (the BEV stages keep BEVDepth-R50's widths, 160 / 320 / 640, so the same adapters):
#   backbone1: student BEV stage 2 (320 @ 32x32, x4 + MLP -> 128) vs SECOND stage 2 (128 @ 128^2);
#   backbone2: student BEV stage 3 (640 @ 16x16, x4 + MLP -> 256) vs SECOND stage 3 (256 @ 64^2);
#   head:      student FPN-LSS (256 @ 128x128, 1x1 -> 384) vs SECONDFPN (384 @ 128x128).
# fg 6e-3, bg 4e-2, fp 6e-2 (head level), spatial 2.5e-3. The student inherits the teacher's
# CenterHead task heads. Schedule as the official scripts.
_base_ = [
    '../_base_/distillers/bevdepth4d-r50_centerpoint-pillar02_nus.py',
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
