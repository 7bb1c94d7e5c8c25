# Copyright (c) distillbev contributors. All rights reserved.
# MonoMMKD (reconstructed) on the generated KITTI-layout data: the losses of
# monommkd_monodle-dla34_monodle-depth-dla34_1xb16-150e_kitti-mono3d.py (stated in
# ../_base_/kd/monommkd.py) on the 640x192 MonoDLE student (from its pre-training, plus the
# depth-distribution branch) and its depth-image teacher; batch 4, 40 epochs. Not tuned.
_base_ = [
    '../_base_/distillers/monodle-dla34_monodle-depth-dla34_synthetic-kitti-mono3d.py',
    '../_base_/kd/monommkd.py'
]

model = dict(
    student=dict(init_cfg={{_base_.student_init}}, bbox_head={{_base_.monommkd_student_head}}),
    student_taps={{_base_.monommkd_student_taps}},
    teacher_taps={{_base_.monommkd_teacher_taps}},
    teacher_runner=dict(type='TeacherDepthImageRunner', head=None),  # backbone taps only
    adapters={{_base_.monommkd_adapters}},
    kd_targets={{_base_.monommkd_kd_targets}},
    distill_losses={{_base_.monommkd_distill_losses}})
