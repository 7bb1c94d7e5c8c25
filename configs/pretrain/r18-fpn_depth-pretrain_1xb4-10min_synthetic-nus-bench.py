# Copyright (c) distillbev contributors. All rights reserved.
# Depth pre-training of the benchmark students' image backbone, neck and camera-aware depth net
# (ImageDepthPretrainer with the BEVDepth-R18 student's view transformer) on the KD benchmark's
# TRAINING images, supervised by the projected LiDAR only: no boxes, no val/test data. It stands in
# for the ImageNet weights that cannot be downloaded here, and gives BEVDepth a working depth
# estimate from its first detection step. Then:
#   python tools/train.py configs/pretrain/r18-fpn_depth-pretrain_1xb4-10min_synthetic-nus-bench.py
#   mkdir -p checkpoints && cp work_dirs/r18-fpn_depth-pretrain_1xb4-10min_synthetic-nus-bench/\
#       iter_<last>.pth checkpoints/r18-fpn_depth-pretrain_synthetic-nus-bench.pth
# (tools/kd_benchmark.py does both.) The student configs *_synthetic-nus-bench-3d.py load
# img_backbone.*, img_neck.* (BEVDet, BEVDepth) and img_view_transformer.* (BEVDepth) from it.
_base_ = [
    '../students/bevdepth_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py',
]

point_cloud_range = {{_base_.point_cloud_range}}
final_size = {{_base_.final_size}}
backend_args = None
model = dict(
    _delete_=True,
    type='ImageDepthPretrainer',
    data_preprocessor={{_base_.model.data_preprocessor}},
    img_backbone=dict(
        type='mmdet.ResNet', depth=18, num_stages=4, out_indices=(2, 3), frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False, style='pytorch'),
    img_neck=dict(type='mmdet.FPN', in_channels=[256, 512], out_channels=128, num_outs=2),
    img_view_transformer={{_base_.view_transformer}},
    downsample=16)

# the students' image and BEV augmentation: the depth net sees the same camera-parameter input
# (image and BEV augmentation matrices) as in detection training
train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
         backend_args=backend_args),
    dict(type='LoadMultiViewImagesWithCalib', num_views=6, channel_order='bgr',
         backend_args=backend_args),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(-0.06, 0.11),
         resize_relative=True, rot_lim=(-5.4, 5.4), flip_prob=0.5),
    dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05),
         flip_x_prob=0.5, flip_y_prob=0.5),
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

max_iters = 400
optim_wrapper = dict(optimizer=dict(lr=1e-3), clip_grad=dict(max_norm=35, norm_type=2))
find_unused_parameters = True  # DDP: the FPN's stride-32 output conv feeds nothing
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min=1e-5),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
