# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (ICCV 2023) in the KD benchmark (tools/kd_benchmark.py), paper setting: the losses and
# weights of distillbev_bevdepth-r50_centerpoint-pillar02_8xb8-cbgs-24e_nus-3d.py on the small
# BEVDepth-R18 student and the 0.4 m CenterPoint-pillar teacher, with the same stage pairing:
# backbone1: student BEV stage 2 (160 @ 16x16, x4 + MLP -> 64) vs SECOND stage 1 (64 @ 64x64);
# backbone2: student BEV stage 3 (320 @ 8x8, x4 + MLP -> 128) vs SECOND stage 2 (128 @ 32x32);
# head:      student FPN-LSS (128 @ 64x64, 1x1 -> 384) vs SECONDFPN (384 @ 64x64). The KD targets
# get the student head's BEV grid from the distiller; the foreground mask is drawn at the spatial
# size of each teacher level it is compared with (``.hw`` references).
_base_ = [
    '../_base_/distillers/bevdepth-r18_centerpoint-pillar04_synthetic-nus-bench.py',
    '../_base_/kd/distillbev.py'
]

model = dict(
    student_taps={{_base_.distillbev_student_taps}},
    teacher_taps={{_base_.distillbev_teacher_taps}},
    adapters={{_base_.distillbev_bevdepth_r18_adapters}},
    kd_targets={{_base_.distillbev_pillar04_kd_targets}},
    distill_losses={{_base_.distillbev_pillar04_distill_losses}},
    inherit_from_teacher={{_base_.distillbev_inherit_from_teacher}})
