# Copyright (c) distillbev contributors. All rights reserved.
# CMKD's monocular KITTI student (cmkd-mono_r50-d8_scnet_second_secfpn_2xb4-60e_kitti-3d-car.py)
# sized for the generated KITTI-layout data and a CPU (ImageNet ResNet-18 + FPN instead of the
# DeepLabV3-R50 layer3, and no SCNet neck: 1 block would add ~2 s to a batch-4 step on one CPU
# thread), on the grid of our PointPillars CPU teacher
# (pointpillars_hv032_secfpn_1xb4-cyclic-40e_synthetic-kitti-3d-3class.py, inherited below:
# its SECOND / SECONDFPN / 3-class Anchor3DHead, train_cfg and test_cfg are the student's):
# - the generated 188x620 CAM2 frames at scale 1 in a 192x640 canvas, random horizontal flip;
# - ResNet-18 + FPN (64 ch), stride 8; 32 lifted channels; 60 LID bins over [2, 69.12] m (the
#   grid's x extent: the generated objects lie 8-50 m ahead) + out-of-range, focal depth loss 1.0;
# - lift-splat onto the teacher's 0.32 m pillar grid (216 x 248) with z [-3, 1] m in 4 voxels
#   of 1 m, Conv2DCollapse 128 -> 64 (the scatter channels);
# - CMKD stage-1 optimiser (AdamW one-cycle, lr 2e-3, grad clip 10) over 40 epochs, batch 4.
_base_ = ['../pointpillars/pointpillars_hv032_secfpn_1xb4-cyclic-40e_synthetic-kitti-3d-3class.py']
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

point_cloud_range = [0, -39.68, -3, 69.12, 39.68, 1]
grid_config = dict(
    x=[0, 69.12, 0.32], y=[-39.68, 39.68, 0.32], z=[-3.0, 1.0, 1.0],
    depth=dict(mode='LID', min=2.0, max=69.12, num_bins=60))
num_z = 4
final_size = (192, 640)  # (H, W)
lifted_channels = 32
teacher_bev_channels = 64  # PointPillarsScatter
class_names = ['Pedestrian', 'Cyclist', 'Car']
metainfo = dict(classes=class_names)
backend_args = None

model = dict(
    _delete_=True,
    type='CMKDMonoBEV',
    data_preprocessor=dict(
        type='Det3DDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    img_backbone=dict(
        type='mmdet.ResNet', depth=18, num_stages=4, out_indices=(1, 2, 3), frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False, style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    img_neck=dict(type='mmdet.FPN', in_channels=[128, 256, 512], out_channels=64, num_outs=3),
    img_neck_out_index=0,  # stride 8
    img_view_transformer=dict(
        type='LIDDepthViewTransformer', in_channels=64, out_channels=lifted_channels,
        grid_config=grid_config, downsample=8, mid_channels=64,
        loss_depth=dict(alpha=0.25, gamma=2.0, loss_weight=1.0)),
    bev_compressor=dict(type='Conv2DCollapse', in_channels=lifted_channels * num_z,
                        out_channels=teacher_bev_channels),
    # the teacher's BEV half, as its config states it
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    bbox_head={{_base_.model.bbox_head}},
    train_cfg={{_base_.model.train_cfg}},
    test_cfg={{_base_.model.test_cfg}})

train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4,
         backend_args=backend_args),
    dict(type='LoadMultiViewImagesWithCalib', num_views=1, cam_names=['CAM2'],
         channel_order='bgr', backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(1.0, 1.0),
         bot_pct_lim=(0.0, 0.0), rot_lim=(0.0, 0.0), flip_prob=0.5, antialias=False),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='MultiViewDepthFromLiDAR', min_depth=1e-3),
    dict(type='PackMultiViewDet3DInputs',
         keys=['img', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
]
test_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=1, cam_names=['CAM2'],
         channel_order='bgr', backend_args=backend_args),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_test=1.0,
         test_mode=True, antialias=False),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PackMultiViewDet3DInputs', keys=['img']),
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline, metainfo=metainfo))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, metainfo=metainfo))
test_dataloader = val_dataloader

lr = 2e-3
epoch_num = 40
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.95, 0.99), weight_decay=0.01),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=lr, pct_start=0.4, div_factor=10, final_div_factor=1000,
         begin=0, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.4, eta_min=0.85, begin=0,
         end=epoch_num * 0.4, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.6, eta_min=0.95,
         begin=epoch_num * 0.4, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=epoch_num, val_interval=10)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2))
