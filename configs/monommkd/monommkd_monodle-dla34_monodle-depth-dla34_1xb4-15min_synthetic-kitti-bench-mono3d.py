# Copyright (c) distillbev contributors. All rights reserved.
# MonoMMKD (reconstructed, see README.md here) in the CPU regime on the generated KITTI-layout
# data: the losses of ../_base_/kd/monommkd.py on the 640x192 MonoDLE student (plus the
# depth-distribution branch) and its depth-image teacher, the student's 300-iteration schedule,
# from the student's own initialisation (paired with
# monodle_dla34_dlaneck_1xb4-15min_synthetic-kitti-bench-mono3d.py). Paper setting.
_base_ = [
    '../_base_/distillers/monodle-dla34_monodle-depth-dla34_synthetic-kitti-bench-mono3d.py',
    '../_base_/kd/monommkd.py'
]

model = dict(
    student=dict(bbox_head={{_base_.monommkd_student_head}}),
    student_taps={{_base_.monommkd_student_taps}},
    teacher_taps={{_base_.monommkd_teacher_taps}},
    teacher_runner=dict(type='TeacherDepthImageRunner', head=None),  # backbone taps only
    adapters={{_base_.monommkd_adapters}},
    kd_targets={{_base_.monommkd_kd_targets}},
    distill_losses={{_base_.monommkd_distill_losses}})
