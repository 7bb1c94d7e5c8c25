# Copyright (c) distillbev contributors. All rights reserved.
# MonoMMKD (reconstructed, see README.md here) in the KITTI CPU regime on the 900-iteration schedule:
# monommkd_monodle-dla34_monodle-depth-dla34_1xb4-15min_synthetic-kitti-bench-mono3d.py (paper
# setting) with the schedule of its teacher and of the student alone it is paired with,
# ../students/monodle_dla34_dlaneck_1xb4-45min_synthetic-kitti-bench-mono3d.py.
_base_ = [
    './monommkd_monodle-dla34_monodle-depth-dla34_1xb4-15min_synthetic-kitti-bench-mono3d.py',
    '../_base_/schedules/synthetic-kitti-bench-mono3d-45min.py'
]

param_scheduler = {{_base_.kitti_bench_45min_param_scheduler}}
train_cfg = {{_base_.kitti_bench_45min_train_cfg}}
default_hooks = dict(checkpoint={{_base_.kitti_bench_45min_checkpoint}})
