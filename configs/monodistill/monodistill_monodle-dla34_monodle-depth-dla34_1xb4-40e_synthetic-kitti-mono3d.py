# Copyright (c) distillbev contributors. All rights reserved.
# MonoDistill on the generated KITTI-layout data: the losses and weights of
# monodistill_monodle-dla34_monodle-depth-dla34_1xb12-160e_kitti-mono3d.py (stated in
# ../_base_/kd/monodistill.py) on the 640x192 MonoDLE student (from its pre-training) and its
# depth-image teacher; batch 4, 40 epochs. Not tuned.
_base_ = [
    '../_base_/distillers/monodle-dla34_monodle-depth-dla34_synthetic-kitti-mono3d.py',
    '../_base_/kd/monodistill.py'
]

model = dict(
    student=dict(init_cfg={{_base_.student_init}}),
    student_taps={{_base_.monodistill_student_taps}},
    teacher_taps={{_base_.monodistill_teacher_taps}},
    adapters={{_base_.monodistill_adapters}},
    kd_targets={{_base_.monodistill_kd_targets}},
    distill_losses={{_base_.monodistill_distill_losses}})
