# Copyright (c) distillbev contributors. All rights reserved.
# MonoDLE CenterNet3D in the 2-core CPU regime on the generated KITTI-layout data
# (configs/_base_/datasets/synthetic-kitti-bench-mono3d.py): the model and augmentation of
# monodle_dla34_dlaneck_1xb4-40e_synthetic-kitti-mono3d.py (640x192, DLA-34 from scratch, DLA neck
# without DCN), 480 training frames, batch 4, 300 iterations (about 15 min at 3 s a step), Adam
# with a 30-iteration warm-up and cosine decay. Validated on the tuning split (val), tested on the
# held-out split of world seed 1000 with the stock KittiMetric (AP R40).
_base_ = [
    './monodle_dla34_dlaneck_1xb4-40e_synthetic-kitti-mono3d.py',
    '../_base_/datasets/synthetic-kitti-bench-mono3d.py',
]

data_root = {{_base_.kitti_bench_data_root}}
test_root = {{_base_.kitti_bench_test_root}}
backend_args = None

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=test_root, ann_file='kitti_infos_val.pkl'))
val_evaluator = dict(type='KittiMetric', ann_file={{_base_.kitti_bench_val_ann}},
                     metric='bbox', backend_args=backend_args)
test_evaluator = dict(type='KittiMetric', ann_file={{_base_.kitti_bench_test_ann}},
                      metric='bbox', backend_args=backend_args)

lr = 1.25e-3
max_iters = 300
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min=lr * 1e-3),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
