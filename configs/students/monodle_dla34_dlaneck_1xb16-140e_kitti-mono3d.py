# Copyright (c) distillbev contributors. All rights reserved.
# MonoDLE CenterNet3D (the MonoDistill student; fed with LiDAR depth images, its teacher) on
# KITTI mono3d (stock KittiDataset, load_type='fov_image_based', stock KittiMetric AP R40):
# DLA-34 (mmdet3d DLANet, BN, ImageNet weights) + DLANeck to stride 4 (64 ch) + MonoDLEHead
# (heatmap, 2D offset/size, depth + log-variance, 3D offset, 3D size residual, 12-bin heading),
# input 1280x384, 3 classes. MonoDLE's schedule: batch 16 on one GPU, Adam 1.25e-3, weight decay
# 1e-5 (none on biases), 5 warm-up epochs from 1e-5 (linear here; MonoDLE's warm-up is a
# half-cosine), x0.1 at epochs 90 and 120, 140 epochs; loss weights all 1 (fixed).
# Augmentation: flip 0.5, random scale/crop 0.5 with scale 0.4 and shift 0 (MonoDistill's
# configs; MonoDLE's own default is 0.1 / 0.1), as one affine on image, targets and cam2img.
_base_ = [
    'mmdet3d::_base_/datasets/kitti-mono3d.py',
    'mmdet3d::_base_/default_runtime.py',
]
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

class_names = ['Pedestrian', 'Cyclist', 'Car']
metainfo = dict(classes=class_names)
backend_args = None
input_size = (1280, 384)  # (W, H)
# KITTI mean (l, h, w) of Pedestrian, Cyclist, Car
mean_sizes = [[0.8442, 1.7626, 0.6607], [1.7370, 1.7628, 0.5971], [3.5259, 1.5256, 1.6286]]

model = dict(
    type='MonoDLECenterNet3D',
    data_preprocessor=dict(
        type='Det3DDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='DLANet',
        depth=34,
        in_channels=3,
        norm_cfg=dict(type='BN'),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='http://dl.yf.io/dla/models/imagenet/dla34-ba72cf86.pth')),
    neck=dict(
        type='DLANeck',
        in_channels=[16, 32, 64, 128, 256, 512],
        start_level=2,
        end_level=5,
        norm_cfg=dict(type='BN')),
    bbox_head=dict(
        type='MonoDLEHead',
        num_classes=len(class_names),
        in_channels=64,
        feat_channels=256,
        stride=4,
        num_bins=12,
        mean_sizes=mean_sizes,
        max_objs=50,
        min_depth=2.0,
        loss_weights=dict(heatmap=1.0, offset_2d=1.0, size_2d=1.0, depth=1.0, offset_3d=1.0,
                          size_3d=1.0, heading=1.0),
        test_cfg=dict(topk=50, score_thr=0.2, depth_uncertainty_score=False)),
    train_cfg=None,
    test_cfg=None)

meta_keys = ('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'cam2img',
             'lidar2cam', 'box_mode_3d', 'box_type_3d', 'sample_idx', 'mono_crop',
             'mono_affine')
train_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox=True, with_label=True, with_attr_label=False,
         with_bbox_3d=True, with_label_3d=True, with_bbox_depth=True),
    dict(type='MonoAffineAug', resolution=input_size, flip_prob=0.5, crop_prob=0.5, scale=0.4,
         shift=0.0),
    dict(type='Pack3DDetInputs',
         keys=['img', 'gt_bboxes', 'gt_bboxes_labels', 'gt_bboxes_3d', 'gt_labels_3d',
               'centers_2d', 'depths'],
         meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='MonoAffineAug', resolution=input_size, test_mode=True),
    dict(type='Pack3DDetInputs', keys=['img'], meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=16, num_workers=4,
    dataset=dict(pipeline=train_pipeline, metainfo=metainfo))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, metainfo=metainfo))
test_dataloader = val_dataloader

lr = 1.25e-3
max_epochs = 140
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=lr, weight_decay=1e-5),
    paramwise_cfg=dict(bias_decay_mult=0.0),
    clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-5 / lr, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[90, 120],
         gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10))
auto_scale_lr = dict(enable=False, base_batch_size=16)
