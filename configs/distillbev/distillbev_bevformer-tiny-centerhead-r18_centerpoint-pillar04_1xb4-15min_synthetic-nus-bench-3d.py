# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (ICCV 2023) on the BEVFormer student of the KD benchmark (tools/kd_benchmark.py,
# issue 13), paper setting: BEVFormer-tiny-R18 with CenterHead (64-d 32x32 BEV at 1.6 m, queue
# length 2) and the benchmark's 0.4 m CenterPoint-pillar teacher, with the one level, weights and
# masks of DistillBEV's BEVFormer scripts as in
# distillbev_bevformer-tiny-r18_centerpoint-pillar04_1xb2-12e_synthetic-nus-3d.py: the current
# frame's BEV (encoder call num_prev; call 0 is the previous frame's, built without gradient),
# bilinear x2 onto the teacher's 0.8 m cells + 1x1 conv 64 -> 384, against the teacher's SECONDFPN
# BEV; foreground/background terms with spatial attention (fg 5e-3, bg 4e-3, spatial 5e-4, no
# teacher-FP term, configs/_base_/kd/distillbev.py). Nothing is inherited: the student's CenterHead
# reads 64 channels on 1.6 m cells, the teacher's 384 on 0.8 m.
_base_ = [
    '../_base_/distillers/bevformer-tiny-centerhead-r18_centerpoint-pillar04_synthetic-nus-bench.py',
    '../_base_/kd/distillbev.py'
]

model = dict(
    student_taps={{_base_.distillbev_bevformer_r18_student_taps}},
    teacher_taps={{_base_.distillbev_bevformer_teacher_taps}},
    adapters={{_base_.distillbev_bevformer_r18_adapters}},
    kd_targets={{_base_.distillbev_bevformer_kd_targets}},
    distill_losses={{_base_.distillbev_bevformer_distill_losses}})
