# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (ICCV 2023) on a BEVFormer student (methods.md 3.2, 3.3: the BEVFormer scripts), on
# the generated nuScenes-layout data: the small BEVFormer-tiny (R18, 64-d 32x32 BEV at 1.6 m,
# queue length 2, BEVFormerHead) with the 0.4 m CenterPoint-pillar teacher. One level:
#   bev: the BEV the encoder outputs for the current frame (the BEV queries after the last layer,
#        64 @ 32x32; the tap reads the encoder's call 1 of the step: call 0 is the previous frame's
#        BEV, built without gradient), bilinear x2 onto the teacher's 0.8 m cells + 1x1 conv
#        64 -> 384, vs the teacher's SECONDFPN BEV (384 @ 64x64, the map its head reads).
# Foreground (box-size scaled) and background terms with spatial attention, fg 5e-3, bg 4e-3,
# spatial 5e-4, no teacher-FP term (configs/_base_/kd/distillbev.py, `distillbev_bevformer_*`);
# the foreground mask comes from the same KD target as every DistillBEV config (GT boxes on the
# student's grid, drawn at the teacher level's size).
# Nothing is inherited from the teacher: BEVFormerHead (set prediction, Hungarian matching) has no
# counterpart in CenterPoint's CenterHead (DistillBEV copies the decoder and branches of a
# transformer-head teacher, which this teacher is not).
_base_ = [
    '../_base_/distillers/bevformer-tiny-r18_centerpoint-pillar04_synthetic-nus.py',
    '../_base_/kd/distillbev.py'
]

model = dict(
    student_taps={{_base_.distillbev_bevformer_r18_student_taps}},
    teacher_taps={{_base_.distillbev_bevformer_teacher_taps}},
    adapters={{_base_.distillbev_bevformer_r18_adapters}},
    kd_targets={{_base_.distillbev_bevformer_kd_targets}},
    distill_losses={{_base_.distillbev_bevformer_distill_losses}})
