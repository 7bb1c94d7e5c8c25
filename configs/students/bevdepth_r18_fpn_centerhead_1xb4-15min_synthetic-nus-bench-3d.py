# Copyright (c) distillbev contributors. All rights reserved.
# BEVDepth-R18 student of the KD benchmark: the benchmark's BEVDet-R18 (four-class data, held-out
# test split, 180-iteration schedule) with the camera-aware depth net and LiDAR depth supervision
# of bevdepth_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py. Its image encoder AND its depth net
# start from the depth pre-training stage (configs/pretrain/: training images and LiDAR only).
_base_ = ['./bevdet_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py']

grid_config = dict(
    x=[-25.6, 25.6, 0.8], y=[-25.6, 25.6, 0.8], z=[-5.0, 3.0, 8.0], depth=[2.0, 38.0, 0.5])
numC_Trans = 40
point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
class_names = {{_base_.class_names}}
final_size = {{_base_.final_size}}
backend_args = None

pretrained = {{_base_.pretrained}}
# also the depth net of the pre-training stage (configs/pretrain/)
view_transformer = dict(
    type='BEVDepthViewTransformer',
    in_channels=128,
    out_channels=numC_Trans,
    grid_config=grid_config,
    downsample=16,
    depth_net=dict(mid_channels=128, num_res_blocks=3, use_aspp=False, use_dcn=False),
    loss_depth_weight=3.0)

model = dict(
    type='BEVDepth',
    img_view_transformer=dict(
        _delete_=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='img_view_transformer.'),
        **view_transformer),
    img_bev_encoder_backbone=dict(in_channels=numC_Trans),
    img_bev_encoder_neck=dict(in_channels=numC_Trans * 10))

train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
         backend_args=backend_args),
    dict(type='LoadMultiViewImagesWithCalib', num_views=6, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(-0.06, 0.11),
         resize_relative=True, rot_lim=(-5.4, 5.4), flip_prob=0.5),
    dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05),
         flip_x_prob=0.5, flip_y_prob=0.5),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='MultiViewDepthFromLiDAR', min_depth=1e-3),
    dict(type='PackMultiViewDet3DInputs',
         keys=['img', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
