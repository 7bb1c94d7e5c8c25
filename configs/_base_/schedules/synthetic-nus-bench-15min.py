# Copyright (c) distillbev contributors. All rights reserved.
# The camera students' schedule of `tools/kd_benchmark.py` (--dataset nus), shared by every student
# alone and its distillations (paired runs): 180 iterations at batch 4 (4 epochs of the 180
# training samples), so that a distillation run, whose step also runs the teacher and the KD
# losses, fits 15 minutes on 2 CPU cores (docs/student_regime.md: measured step times). AdamW
# with a short linear warm-up and a cosine decay; the clip at 35 (not BEVDet's 5) lets the early,
# large heatmap gradients through instead of shrinking every step to the same norm. The optimizer
# replaces the model config's whole (no parameter-wise multipliers: every student's pre-trained
# encoder trains at the full rate).
# Only `nus_bench_15min_*` names: it is a second `_base_` next to a config that already defines
# the 12-epoch schedule, and mmengine refuses a key defined by two bases. Use:
#   optim_wrapper = {{_base_.nus_bench_15min_optim_wrapper}}
#   param_scheduler = {{_base_.nus_bench_15min_param_scheduler}}
#   train_cfg = {{_base_.nus_bench_15min_train_cfg}}
#   default_hooks = {{_base_.nus_bench_15min_default_hooks}}
#   log_processor = {{_base_.nus_bench_15min_log_processor}}
nus_bench_15min_iters = 180
nus_bench_15min_optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-2),
    clip_grad=dict(max_norm=35, norm_type=2))
nus_bench_15min_param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=nus_bench_15min_iters,
         eta_min=1e-6),
]
nus_bench_15min_train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=nus_bench_15min_iters,
    val_interval=nus_bench_15min_iters)
nus_bench_15min_default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=60, max_keep_ckpts=3))
nus_bench_15min_log_processor = dict(by_epoch=False)
