# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (ICCV 2023) on its temporal student in the KD benchmark (tools/kd_benchmark.py,
# issue 13), paper setting: BEVDepth4D-R18 (two key frames) and the benchmark's 0.4 m
# CenterPoint-pillar teacher, with the three levels, weights and adapters of the BEVDepth-R18 row
# (distillbev_bevdepth-r18_centerpoint-pillar04_1xb4-15min_synthetic-nus-bench-3d.py): the taps
# read the BEV encoder's stages and neck, which see the fused current-frame BEV (the current
# lift-splat BEV concatenated with the previous frame's, warped); the stages keep BEVDepth-R18's
# widths (80, 160, 320).
_base_ = [
    '../_base_/distillers/bevdepth4d-r18_centerpoint-pillar04_synthetic-nus-bench.py',
    '../_base_/kd/distillbev.py'
]

model = dict(
    student_taps={{_base_.distillbev_student_taps}},
    teacher_taps={{_base_.distillbev_teacher_taps}},
    adapters={{_base_.distillbev_bevdepth_r18_adapters}},
    kd_targets={{_base_.distillbev_pillar04_kd_targets}},
    distill_losses={{_base_.distillbev_pillar04_distill_losses}},
    inherit_from_teacher={{_base_.distillbev_inherit_from_teacher}})
