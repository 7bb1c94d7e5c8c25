# Copyright (c) distillbev contributors. All rights reserved.
# LiDAR teacher of `tools/kd_benchmark.py --dataset kitti_bev` (CMKD, KITTI form): the 0.32 m
# PointPillars CPU teacher (pointpillars_hv032_secfpn_1xb4-cyclic-40e_synthetic-kitti-3d-3class.py:
# model, augmentation, AdamW 1e-3 and its one-cycle, unchanged) on the KITTI CPU regime's generated
# data (../_base_/datasets/synthetic-kitti-bench-3d.py: 480 train frames, the tuning split, the
# held-out test split), with the one-cycle in iterations: 1500 at batch 4 (12.5 epochs of the 480
# frames; the 40-epoch config runs 1200 on 120 frames). A step took 3.6 s on 1 thread next to two
# training jobs (load 3-4 on 2 cores, 2026-12-06), 1.6-2.0 s on 2 idle threads (docs/teachers.md):
# about 45 min. Trained once per benchmark; the distillation config loads its last checkpoint.
_base_ = [
    './pointpillars_hv032_secfpn_1xb4-cyclic-40e_synthetic-kitti-3d-3class.py',
    '../_base_/datasets/synthetic-kitti-bench-3d.py'
]

train_dataloader = dict(dataset={{_base_.kitti_bench_3d_train_dataset}})
val_dataloader = dict(dataset={{_base_.kitti_bench_3d_val_dataset}})
test_dataloader = dict(dataset={{_base_.kitti_bench_3d_test_dataset}})
val_evaluator = {{_base_.kitti_bench_3d_val_evaluator}}
test_evaluator = {{_base_.kitti_bench_3d_test_evaluator}}

lr = 0.001
max_iters = 1500
rise = max_iters * 2 // 5  # the one-cycle's rising 40 %
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=rise, eta_min=lr * 10, begin=0, end=rise,
         by_epoch=False),
    dict(type='CosineAnnealingLR', T_max=max_iters - rise, eta_min=lr * 1e-4, begin=rise,
         end=max_iters, by_epoch=False),
    dict(type='CosineAnnealingMomentum', T_max=rise, eta_min=0.85 / 0.95, begin=0, end=rise,
         by_epoch=False),
    dict(type='CosineAnnealingMomentum', T_max=max_iters - rise, eta_min=1, begin=rise,
         end=max_iters, by_epoch=False),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2,
                    save_last=True))
log_processor = dict(by_epoch=False)
