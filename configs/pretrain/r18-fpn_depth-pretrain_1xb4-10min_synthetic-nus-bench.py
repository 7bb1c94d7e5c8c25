# Copyright (c) distillbev contributors. All rights reserved.
# Depth pre-training of the BEVDet-R18 student's image backbone and neck (ImageDepthPretrainer)
# on the KD benchmark's TRAINING images, supervised by the projected LiDAR only: no boxes, no
# val/test data. It stands in for the ImageNet weights that cannot be downloaded here. Then:
#   python tools/train.py configs/pretrain/r18-fpn_depth-pretrain_1xb4-10min_synthetic-nus-bench.py
#   mkdir -p checkpoints && cp work_dirs/r18-fpn_depth-pretrain_1xb4-10min_synthetic-nus-bench/\
#       iter_<last>.pth checkpoints/r18-fpn_depth-pretrain_synthetic-nus-bench.pth
# (tools/kd_benchmark.py does both.) The student configs *_synthetic-nus-bench-3d.py load
# img_backbone.* and img_neck.* from that file.
_base_ = [
    '../students/bevdet_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py',
]

depth_cfg = [1.0, 40.0, 1.0]  # the student's grid_config['depth']
backend_args = None
model = dict(
    _delete_=True,
    type='ImageDepthPretrainer',
    data_preprocessor={{_base_.model.data_preprocessor}},
    img_backbone=dict(
        type='mmdet.ResNet', depth=18, num_stages=4, out_indices=(2, 3), frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False, style='pytorch'),
    img_neck=dict(type='mmdet.FPN', in_channels=[256, 512], out_channels=128, num_outs=2),
    depth_cfg=depth_cfg,
    in_channels=128,
    downsample=16)

train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
         backend_args=backend_args),
    dict(type='LoadMultiViewImagesWithCalib', num_views=6, channel_order='bgr',
         backend_args=backend_args),
    dict(type='MultiViewImageAffineAug', final_size=(128, 352), resize_lim=(-0.06, 0.11),
         resize_relative=True, rot_lim=(-5.4, 5.4), flip_prob=0.5),
    dict(type='MultiViewDepthFromLiDAR', min_depth=1e-3),
    dict(type='PackMultiViewDet3DInputs', keys=['img', 'gt_depth']),
]
# no boxes are loaded: keep every sample (the stock dataset skips samples without boxes)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, filter_empty_gt=False))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

optim_wrapper = dict(optimizer=dict(lr=1e-3), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=300, eta_min=1e-5),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=300)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
