# Copyright (c) distillbev contributors. All rights reserved.
# BEVFormer-tiny with mmdet3d's CenterHead on the encoder's BEV (50x50, 2.048 m cells, 256 ch)
# instead of the set-prediction head, so dense response KD (CenterHead heatmaps / regressions)
# applies: the BEVFormer-tiny encoder (CAN-bus MLP included, use_can_bus=True), pipelines (which
# pack 'can_bus') and queue unchanged, BEVDet's CenterHead (6 tasks, 10
# classes, Gaussian focal + L1 0.25, rotated NMS) with its grid stated on the BEV
# (voxel 0.512 m x out_size_factor 4 = 2.048 m; grid_size 200 / 4 = 50 cells).
_base_ = ['./bevformer-tiny_r50_fpn_bevformerhead_8xb1-24e_nus-3d.py']

point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
voxel_size = [0.512, 0.512, 8.0]
out_size_factor = 4
bev_h = 50
bev_w = 50
embed_dims = 256

model = dict(
    pts_bbox_head=dict(
        _delete_=True,
        type='CenterHeadWithPrior',
        in_channels=embed_dims,
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
            out_size_factor=out_size_factor,
            voxel_size=voxel_size[:2],
            code_size=9),
        separate_head=dict(type='SeparateHead', init_bias=-2.19, final_kernel=3),
        loss_cls=dict(type='mmdet.GaussianFocalLoss', reduction='mean'),
        loss_bbox=dict(type='mmdet.L1Loss', reduction='mean', loss_weight=0.25),
        norm_bbox=True),
    train_cfg=dict(
        pts=dict(
            _delete_=True,
            point_cloud_range=point_cloud_range,
            grid_size=[bev_w * out_size_factor, bev_h * out_size_factor, 1],
            voxel_size=voxel_size,
            out_size_factor=out_size_factor,
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
            out_size_factor=out_size_factor,
            voxel_size=voxel_size[:2],
            nms_type='rotate',
            pre_max_size=1000,
            post_max_size=83,
            nms_thr=0.2)))
