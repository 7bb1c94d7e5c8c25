# Copyright (c) distillbev contributors. All rights reserved.
# BEVFormer-tiny (Li et al., ECCV 2022) on nuScenes, distillbev port (LiDAR frame, mmdet3d 1.x).
# Published tiny settings (fundamentalvision/BEVFormer, bevformer_tiny.py), as we recall them:
# ResNet-50 (pytorch style, ImageNet, out_indices (3,), frozen stage 1, norm_eval) + FPN 2048->256,
# 1 level; 6 views scaled x0.5 (900x1600 -> 450x800, padded to 32); BEV 50x50 over +-51.2 m
# (2.048 m cells), 256 dims, FFN 512, 3 encoder layers (TSA 4 points, SCA 8 points, 4 points per
# pillar over z [-5, 3]); 6 decoder layers, 900 queries, box refinement; Hungarian matching
# (focal cost 2.0 + L1 cost 0.25, IoU cost 0), focal loss 2.0 + L1 0.25 with code weights
# [1 x 8, 0.2, 0.2]; NMS-free top-300; queue length 3; AdamW 2e-4 (backbone x0.1), wd 0.01,
# grad clip 35, cosine with 500-iter linear warm-up (1/3), 24 epochs, batch 1 x 8 GPUs.
# Reported val: 25.2 mAP / 35.4 NDS.
# CAN bus, as published (use_can_bus=True, can_bus_norm=True): an MLP 18 -> 128 -> 256 (+ ReLUs,
# LayerNorm) of each frame's 18-d CAN-bus vector is added to all its BEV queries. The vector comes
# from the temporal infos ('can_bus': nuScenes' CAN-bus expansion, or its ego-pose equivalent
# without it) and is packed in the metainfo (extra_meta_keys=['can_bus'] in both packers);
# TemporalFrames turns position and heading (patch angle, deg) into deltas to the previous frame
# of the queue (0 for the queue's first frame), at training and test time.
# Differences: the previous BEV is warped onto the current cells (warp_bev, curr2prev from
# TemporalFrames) instead of rotated + shifted reference points; no photometric distortion.
# Data: stock v2 infos + temporal infos:
#   python tools/add_temporal_infos.py --root data/nuscenes --version v1.0-trainval \
#       --infos nuscenes_infos_train.pkl nuscenes_infos_val.pkl
# Test time uses TemporalFrames too: each sample recomputes its previous frames' BEV chain.
_base_ = ['mmdet3d::_base_/default_runtime.py']
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
class_names = [
    'car', 'truck', 'construction_vehicle', 'bus', 'trailer', 'barrier', 'motorcycle',
    'bicycle', 'pedestrian', 'traffic_cone'
]
metainfo = dict(classes=class_names)
num_views = 6
final_size = (450, 800)  # x0.5 of 900 x 1600 (padded to 480 x 800 by the preprocessor)
img_scale = 0.5
bev_h = 50
bev_w = 50
embed_dims = 256
ffn_dims = 512
num_levels = 1
num_encoder_layers = 3
num_decoder_layers = 6
num_query = 900
queue_length = 3
post_center_range = [-61.2, -61.2, -10.0, 61.2, 61.2, 10.0]
# BEV grid stated as CenterHead does (BEVGrid.from_detector): cell = voxel * factor = 2.048 m
voxel_size = [0.512, 0.512, 8.0]
out_size_factor = 4

model = dict(
    type='BEVFormer',
    num_prev=queue_length - 1,
    data_preprocessor=dict(
        type='TemporalDet3DDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    img_backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    img_neck=dict(
        type='mmdet.FPN',
        in_channels=[2048],
        out_channels=embed_dims,
        start_level=0,
        add_extra_convs='on_output',
        num_outs=num_levels,
        relu_before_extra_convs=True),
    bev_encoder=dict(
        type='BEVFormerEncoder',
        point_cloud_range=point_cloud_range,
        bev_shape=(bev_h, bev_w),
        embed_dims=embed_dims,
        num_layers=num_encoder_layers,
        num_cams=num_views,
        num_feature_levels=num_levels,
        num_points_in_pillar=4,
        layer_cfg=dict(num_heads=8, tsa_points=4, sca_points=8, feedforward_channels=ffn_dims,
                       dropout=0.1),
        use_can_bus=True,  # metainfo 'can_bus' (deltas from TemporalFrames) -> query embedding
        can_bus_norm=True,
        can_bus_dims=18),
    pts_bbox_head=dict(
        type='BEVFormerHead',
        num_classes=len(class_names),
        in_channels=embed_dims,
        num_query=num_query,
        point_cloud_range=point_cloud_range,
        decoder=dict(
            num_layers=num_decoder_layers,
            layer_cfg=dict(num_heads=8, num_points=4, feedforward_channels=ffn_dims,
                           dropout=0.1)),
        with_box_refine=True,
        code_weights=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2],
        bbox_coder=dict(
            type='NMSFreeBBox3DCoder',
            post_center_range=post_center_range,
            max_num=300,
            num_classes=len(class_names)),
        loss_cls=dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=0.25)),
    train_cfg=dict(
        pts=dict(
            point_cloud_range=point_cloud_range,
            grid_size=[bev_w * out_size_factor, bev_h * out_size_factor, 1],
            voxel_size=voxel_size,
            out_size_factor=out_size_factor,
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.FocalLossCost', weight=2.0),
                    dict(type='BBox3DL1MatchCost', weight=0.25),
                ]))),
    test_cfg=dict(pts=dict()))

# dataset: stock nuScenes v2 infos with the temporal keys, wrapped in TemporalFrames
dataset_type = 'NuScenesDataset'
data_root = 'data/nuscenes/'
input_modality = dict(use_lidar=False, use_camera=True)
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

# BEVFormer uses no geometric image or BEV augmentation: a fixed x0.5 resize
train_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(img_scale, img_scale),
         rot_lim=(0.0, 0.0), flip_prob=0.0),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PackMultiViewDet3DInputs', keys=['img', 'gt_bboxes_3d', 'gt_labels_3d'],
         extra_meta_keys=['can_bus']),
]
test_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='MultiViewImageAffineAug', final_size=final_size, test_mode=True),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PackMultiViewDet3DInputs', keys=['img'], extra_meta_keys=['can_bus']),
]

train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='TemporalFrames',
        num_prev=queue_length - 1,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='nuscenes_infos_train_temporal.pkl',
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
        type='TemporalFrames',
        num_prev=queue_length - 1,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='nuscenes_infos_val_temporal.pkl',
            pipeline=test_pipeline,
            metainfo=metainfo,
            modality=input_modality,
            data_prefix=data_prefix,
            test_mode=True,
            box_type_3d='LiDAR',
            backend_args=backend_args)))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='NuScenesMetric',
    data_root=data_root,
    ann_file=data_root + 'nuscenes_infos_val.pkl',
    metric='bbox',
    backend_args=backend_args)
test_evaluator = val_evaluator

# schedule: AdamW 2e-4 (backbone x0.1), wd 0.01, grad clip 35, cosine 24 epochs
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(img_backbone=dict(lr_mult=0.1))),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=24, T_max=24,
         eta_min_ratio=1e-3, convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=24, val_interval=24)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
# the FPN's unused outputs and the frozen stem give no gradient
find_unused_parameters = True
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
