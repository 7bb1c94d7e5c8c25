# Copyright (c) distillbev contributors. All rights reserved.
# MonoDistill in the CPU regime on the generated KITTI-layout data: the losses and weights of the
# paper's configs (../_base_/kd/monodistill.py) on the 640x192 MonoDLE student and its depth-image
# teacher, the student's 300-iteration schedule, from the student's own initialisation (paired
# with monodle_dla34_dlaneck_1xb4-15min_synthetic-kitti-bench-mono3d.py). Paper setting.
_base_ = [
    '../_base_/distillers/monodle-dla34_monodle-depth-dla34_synthetic-kitti-bench-mono3d.py',
    '../_base_/kd/monodistill.py'
]

model = dict(
    student_taps={{_base_.monodistill_student_taps}},
    teacher_taps={{_base_.monodistill_teacher_taps}},
    adapters={{_base_.monodistill_adapters}},
    kd_targets={{_base_.monodistill_kd_targets}},
    distill_losses={{_base_.monodistill_distill_losses}})
