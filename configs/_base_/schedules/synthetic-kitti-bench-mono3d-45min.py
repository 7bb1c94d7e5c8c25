# Copyright (c) distillbev contributors. All rights reserved.
# The 45-minute schedule of the KITTI CPU regime (900 iterations, ~50 min on 2 cores for the
# student alone): the 300-iteration schedule of
# ../../students/monodle_dla34_dlaneck_1xb4-15min_synthetic-kitti-bench-mono3d.py (1 % linear
# warm-up, cosine to 1e-3 of the base lr) stretched 3x. Between 300 and 900 iterations the
# depth-image teacher went from 0.2 to 16 Car 3D AP R40 moderate (IoU 0.7, held-out split,
# 2026-12-06; docs/kitti_regime.md). Only `kitti_bench_45min_*` names: it is a second `_base_`
# next to a config that already defines the 15-minute schedule, and mmengine refuses a key
# defined by two bases. Use:
#   param_scheduler = {{_base_.kitti_bench_45min_param_scheduler}}
#   train_cfg = {{_base_.kitti_bench_45min_train_cfg}}
#   default_hooks = dict(checkpoint={{_base_.kitti_bench_45min_checkpoint}})
kitti_bench_45min_iters = 900
kitti_bench_45min_param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=90),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=kitti_bench_45min_iters,
         eta_min_ratio=1e-3),
]
kitti_bench_45min_train_cfg = dict(max_iters=kitti_bench_45min_iters,
                                   val_interval=kitti_bench_45min_iters)
kitti_bench_45min_checkpoint = dict(interval=300)
