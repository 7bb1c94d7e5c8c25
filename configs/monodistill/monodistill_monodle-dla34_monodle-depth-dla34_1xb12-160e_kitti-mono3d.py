# Copyright (c) distillbev contributors. All rights reserved.
# MonoDistill (ICLR 2022) on KITTI, as the official code: the MonoDLE DLA-34 student (from its RGB
# pre-training) learns from the same network trained on LiDAR depth images (the "LiDAR Net");
# object-level feature (x10), scene-level affinity (x1) and head response (x1) losses, stated in
# ../_base_/kd/monodistill.py; batch 12, Adam 1.25e-3, 160 epochs (x0.1 at 90 / 120). Train
# ../students/monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d.py and
# ../students/monodle-depth_dla34_dlaneck_1xb16-140e_kitti-mono3d.py first.
_base_ = [
    '../_base_/distillers/monodle-dla34_monodle-depth-dla34_kitti-mono3d.py',
    '../_base_/kd/monodistill.py'
]

model = dict(
    student=dict(init_cfg={{_base_.student_init}}, backbone=dict(init_cfg=None)),
    student_taps={{_base_.monodistill_student_taps}},
    teacher_taps={{_base_.monodistill_teacher_taps}},
    adapters={{_base_.monodistill_adapters}},
    kd_targets={{_base_.monodistill_kd_targets}},
    distill_losses={{_base_.monodistill_distill_losses}})
