# Copyright (c) distillbev contributors. All rights reserved.
# The mono-BEV student of `tools/kd_benchmark.py --dataset kitti_bev` without KD (the baseline its
# CMKD distillation is paired with): CMKD's monocular KITTI student at CPU size
# (cmkd-mono_r18_fpn_second_secfpn_1xb4-40e_synthetic-kitti-3d-3class.py: ResNet-18 + FPN, LID
# depth, lift-splat onto the 0.32 m pillar grid of its PointPillars teacher, the teacher's SECOND /
# SECONDFPN / Anchor3DHead, AdamW one-cycle) on the KITTI CPU regime's generated data
# (../_base_/datasets/synthetic-kitti-bench-3d.py) and the students' iteration schedule
# (../_base_/schedules/synthetic-kitti-bench-3d-60min.py).
# The image backbone starts from a random initialisation, not ImageNet (the benchmark runs
# offline; the monocular suite's DLA-34 is trained from scratch too); the CMKD run starts from the
# same one.
_base_ = [
    './cmkd-mono_r18_fpn_second_secfpn_1xb4-40e_synthetic-kitti-3d-3class.py',
    '../_base_/datasets/synthetic-kitti-bench-3d.py',
    '../_base_/schedules/synthetic-kitti-bench-3d-60min.py'
]

model = dict(img_backbone=dict(init_cfg=None))

train_dataloader = dict(dataset={{_base_.kitti_bench_3d_train_dataset}})
val_dataloader = dict(dataset={{_base_.kitti_bench_3d_val_dataset}})
test_dataloader = dict(dataset={{_base_.kitti_bench_3d_test_dataset}})
val_evaluator = {{_base_.kitti_bench_3d_val_evaluator}}
test_evaluator = {{_base_.kitti_bench_3d_test_evaluator}}

param_scheduler = {{_base_.kitti_bench_3d_60min_param_scheduler}}
train_cfg = {{_base_.kitti_bench_3d_60min_train_cfg}}
default_hooks = {{_base_.kitti_bench_3d_60min_default_hooks}}
log_processor = {{_base_.kitti_bench_3d_60min_log_processor}}
