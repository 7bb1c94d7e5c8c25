# Copyright (c) distillbev contributors. All rights reserved.
# Small BEVDet student for the generated nuScenes-layout dataset (tools/create_synthetic.py +
# tools/create_data.py -> data/synthetic-nus/nuscenes_infos_{train,val}.pkl): ResNet-18 from
# scratch, 6 views at 128x352, 39 depth bins [1, 40, 1] m, 32 channels, 64x64 BEV at 0.8 m over
# +-25.6 m, 128-channel BEV neck, CenterHead (6 tasks, 10 classes). CPU-trainable.
_base_ = ['./bevdet_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py']

point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
voxel_size = [0.1, 0.1, 0.2]  # 512 x 512 / 8 = 64 x 64
grid_config = dict(
    x=[-25.6, 25.6, 0.8], y=[-25.6, 25.6, 0.8], z=[-5.0, 3.0, 8.0], depth=[1.0, 40.0, 1.0])
numC_Trans = 32
final_size = (128, 352)
num_views = 6
class_names = [
    'car', 'truck', 'construction_vehicle', 'bus', 'trailer', 'barrier', 'motorcycle',
    'bicycle', 'pedestrian', 'traffic_cone'
]
metainfo = dict(classes=class_names)
backend_args = None

model = dict(
    img_backbone=dict(depth=18, with_cp=False, init_cfg=None),
    img_neck=dict(in_channels=[256, 512], out_channels=128),
    img_view_transformer=dict(in_channels=128, out_channels=numC_Trans, grid_config=grid_config),
    img_bev_encoder_backbone=dict(in_channels=numC_Trans),
    img_bev_encoder_neck=dict(in_channels=numC_Trans * 10, out_channels=128),
    pts_bbox_head=dict(
        in_channels=128,
        bbox_coder=dict(pc_range=point_cloud_range[:2],
                        post_center_range=[-30.0, -30.0, -10.0, 30.0, 30.0, 10.0])),
    train_cfg=dict(pts=dict(point_cloud_range=point_cloud_range, grid_size=[512, 512, 40])),
    test_cfg=dict(pts=dict(pc_range=point_cloud_range[:2],
                           post_center_limit_range=[-30.0, -30.0, -10.0, 30.0, 30.0, 10.0])))

data_root = 'data/synthetic-nus/'
train_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(-0.06, 0.11),
         resize_relative=True, rot_lim=(-5.4, 5.4), flip_prob=0.5),
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
    batch_size=4,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type='NuScenesDataset',
        data_root=data_root,
        ann_file='nuscenes_infos_train.pkl',
        pipeline=train_pipeline,
        metainfo=metainfo,
        modality=dict(use_lidar=True, use_camera=True),
        data_prefix={{_base_.data_prefix}},
        test_mode=False,
        use_valid_flag=True,
        box_type_3d='LiDAR',
        backend_args=backend_args))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(data_root=data_root, ann_file=data_root + 'nuscenes_infos_val.pkl')
test_evaluator = val_evaluator

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1)
]
train_cfg = dict(max_epochs=12, val_interval=12)
auto_scale_lr = dict(enable=False, base_batch_size=4)
