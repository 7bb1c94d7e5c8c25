# Copyright (c) distillbev contributors. All rights reserved.
# BEVDepth-R50 (CBGS) camera student on nuScenes, in the LiDAR frame (distillbev BEVDepth).
# As the BEVDet config, with the camera-aware depth net (SE gates from the 27-d camera vector,
# 3 residual blocks, ASPP, DCN), 112 depth bins [2, 58, 0.5] m, 80 BEV channels, BEVDepth's image
# aug (scale U(0.386, 0.55) of 900x1600) and LiDAR depth supervision (BCE, weight 3.0).
_base_ = ['./bevdet_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py']

grid_config = dict(
    x=[-51.2, 51.2, 0.8], y=[-51.2, 51.2, 0.8], z=[-5.0, 3.0, 8.0], depth=[2.0, 58.0, 0.5])
numC_Trans = 80
point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
class_names = [
    'car', 'truck', 'construction_vehicle', 'bus', 'trailer', 'barrier', 'motorcycle',
    'bicycle', 'pedestrian', 'traffic_cone'
]
num_views = 6
final_size = (256, 704)
backend_args = None

model = dict(
    type='BEVDepth',
    img_view_transformer=dict(
        _delete_=True,
        type='BEVDepthViewTransformer',
        in_channels=512,
        out_channels=numC_Trans,
        grid_config=grid_config,
        downsample=16,
        depth_net=dict(mid_channels=512, num_res_blocks=3, use_aspp=True, use_dcn=True),
        loss_depth_weight=3.0),
    img_bev_encoder_backbone=dict(in_channels=numC_Trans),
    img_bev_encoder_neck=dict(in_channels=numC_Trans * 8 + numC_Trans * 2))

train_pipeline = [
    # key-frame LiDAR points only for the depth targets (not packed)
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
         backend_args=backend_args),
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(0.386, 0.55),
         bot_pct_lim=(0.0, 0.0), rot_lim=(-5.4, 5.4), flip_prob=0.5),
    dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05),
         flip_x_prob=0.5, flip_y_prob=0.5),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='MultiViewDepthFromLiDAR', min_depth=1e-3),
    dict(type='PackMultiViewDet3DInputs',
         keys=['img', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
