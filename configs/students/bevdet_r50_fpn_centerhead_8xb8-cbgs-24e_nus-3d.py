# Copyright (c) distillbev contributors. All rights reserved.
# BEVDet-R50 (CBGS) camera student on nuScenes, in the LiDAR frame (distillbev BEVDet).
# 6 views at 256x704, ResNet-50 + FPN (stride 16, 512 ch), lift-splat with 59 depth bins
# [1, 60, 1] m and 64 channels onto a 128x128 BEV at 0.8 m over +-51.2 m, BEV ResNet + FPN-LSS
# (256 ch), CenterHead with CenterPoint's 6 tasks / 10 classes. The BEV map lines up cell for cell
# with CenterPoint voxel01 (out_size_factor 8) and pillar02 (factor 4) teachers.
# Data: stock v2 infos (tools/create_data.py nuscenes), distillbev multi-view transforms.
_base_ = ['mmdet3d::_base_/default_runtime.py']
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
voxel_size = [0.1, 0.1, 0.2]  # CenterHead target grid 1024 x 1024 / 8 = 128 x 128 (0.8 m)
grid_config = dict(
    x=[-51.2, 51.2, 0.8], y=[-51.2, 51.2, 0.8], z=[-5.0, 3.0, 8.0], depth=[1.0, 60.0, 1.0])
num_views = 6
final_size = (256, 704)
numC_Trans = 64
class_names = [
    'car', 'truck', 'construction_vehicle', 'bus', 'trailer', 'barrier', 'motorcycle',
    'bicycle', 'pedestrian', 'traffic_cone'
]
metainfo = dict(classes=class_names)

model = dict(
    type='BEVDet',
    data_preprocessor=dict(
        type='Det3DDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    img_backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        with_cp=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    img_neck=dict(type='mmdet.FPN', in_channels=[1024, 2048], out_channels=512, num_outs=2),
    img_neck_out_index=0,  # stride 16
    img_view_transformer=dict(
        type='LiftSplatViewTransformer',
        in_channels=512,
        out_channels=numC_Trans,
        grid_config=grid_config,
        downsample=16),
    img_bev_encoder_backbone=dict(
        type='BEVResNetBackbone', in_channels=numC_Trans, num_layers=(2, 2, 2)),
    img_bev_encoder_neck=dict(
        type='BEVLSSFPNNeck', in_channels=numC_Trans * 8 + numC_Trans * 2, out_channels=256),
    pts_bbox_head=dict(
        type='CenterHeadWithPrior',  # CenterHead + CenterPoint's heatmap prior (distillbev)
        in_channels=256,
        tasks=[
            dict(num_class=1, class_names=['car']),
            dict(num_class=2, class_names=['truck', 'construction_vehicle']),
            dict(num_class=2, class_names=['bus', 'trailer']),
            dict(num_class=1, class_names=['barrier']),
            dict(num_class=2, class_names=['motorcycle', 'bicycle']),
            dict(num_class=2, class_names=['pedestrian', 'traffic_cone']),
        ],
        common_heads=dict(reg=(2, 2), height=(1, 2), dim=(3, 2), rot=(2, 2), vel=(2, 2)),
        share_conv_channel=64,
        bbox_coder=dict(
            type='CenterPointBBoxCoder',
            pc_range=point_cloud_range[:2],
            post_center_range=[-61.2, -61.2, -10.0, 61.2, 61.2, 10.0],
            max_num=500,
            score_threshold=0.1,
            out_size_factor=8,
            voxel_size=voxel_size[:2],
            code_size=9),
        separate_head=dict(type='SeparateHead', init_bias=-2.19, final_kernel=3),
        loss_cls=dict(type='mmdet.GaussianFocalLoss', reduction='mean'),
        loss_bbox=dict(type='mmdet.L1Loss', reduction='mean', loss_weight=0.25),
        norm_bbox=True),
    train_cfg=dict(
        pts=dict(
            point_cloud_range=point_cloud_range,
            grid_size=[1024, 1024, 40],
            voxel_size=voxel_size,
            out_size_factor=8,
            dense_reg=1,
            gaussian_overlap=0.1,
            max_objs=500,
            min_radius=2,
            code_weights=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2])),
    test_cfg=dict(
        pts=dict(
            pc_range=point_cloud_range[:2],
            post_center_limit_range=[-61.2, -61.2, -10.0, 61.2, 61.2, 10.0],
            max_per_img=500,
            max_pool_nms=False,
            min_radius=[4, 12, 10, 1, 0.85, 0.175],
            score_threshold=0.1,
            out_size_factor=8,
            voxel_size=voxel_size[:2],
            nms_type='rotate',
            pre_max_size=1000,
            post_max_size=83,
            nms_thr=0.2)))

# dataset: stock nuScenes v2 infos
dataset_type = 'NuScenesDataset'
data_root = 'data/nuscenes/'
input_modality = dict(use_lidar=True, use_camera=True)
data_prefix = dict(
    pts='samples/LIDAR_TOP',
    sweeps='sweeps/LIDAR_TOP',
    CAM_FRONT='samples/CAM_FRONT',
    CAM_FRONT_LEFT='samples/CAM_FRONT_LEFT',
    CAM_FRONT_RIGHT='samples/CAM_FRONT_RIGHT',
    CAM_BACK='samples/CAM_BACK',
    CAM_BACK_LEFT='samples/CAM_BACK_LEFT',
    CAM_BACK_RIGHT='samples/CAM_BACK_RIGHT')
backend_args = None

train_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    # BEVDet image aug: scale fit + U(-0.06, 0.11), rotation +-5.4 deg, flip
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(-0.06, 0.11),
         resize_relative=True, bot_pct_lim=(0.0, 0.0), rot_lim=(-5.4, 5.4), flip_prob=0.5),
    # BEVDet BEV aug: rotation +-22.5 deg, scale 0.95-1.05, x/y flips
    dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05),
         flip_x_prob=0.5, flip_y_prob=0.5),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PackMultiViewDet3DInputs', keys=['img', 'gt_bboxes_3d', 'gt_labels_3d']),
]
test_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='MultiViewImageAffineAug', final_size=final_size, test_mode=True),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PackMultiViewDet3DInputs', keys=['img']),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CBGSDataset',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='nuscenes_infos_train.pkl',
            pipeline=train_pipeline,
            metainfo=metainfo,
            modality=input_modality,
            data_prefix=data_prefix,
            test_mode=False,
            use_valid_flag=True,
            box_type_3d='LiDAR',
            backend_args=backend_args)))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='nuscenes_infos_val.pkl',
        pipeline=test_pipeline,
        metainfo=metainfo,
        modality=input_modality,
        data_prefix=data_prefix,
        test_mode=True,
        box_type_3d='LiDAR',
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='NuScenesMetric',
    data_root=data_root,
    ann_file=data_root + 'nuscenes_infos_val.pkl',
    metric='bbox',
    backend_args=backend_args)
test_evaluator = val_evaluator

# schedule: AdamW 2e-4 / wd 1e-2, grad clip 5, 24 epochs, linear warm-up, steps at 19 and 23
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-2),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=24, milestones=[19, 23], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=24, val_interval=24)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=64)
# DDP: the FPN's stride-32 output conv feeds nothing (img_neck_out_index=0), and DDP stops on
# parameters that receive no gradient unless told to look for them
find_unused_parameters = True
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
