# Copyright (c) distillbev contributors. All rights reserved.
# LiDAR teacher for the generated nuScenes-layout dataset: the STOCK mmdet3d CenterPoint-pillar
# model (PillarFeatureNet -> PointPillarsScatter -> SECOND -> SECONDFPN -> CenterHead, 6 tasks)
# with only the scene size changed: +-25.6 m instead of +-51.2 m, stock 0.2 m pillars -> 256x256
# grid -> out_size_factor 4 -> 64x64 BEV at 0.8 m, the grid of the synthetic camera students
# (configs/students/*synthetic*; row = y, col = x). Stock cyclic schedule, 1 process x batch 4.
# Data: tools/create_synthetic.py nuscenes + tools/create_data.py (see docs/teachers.md).
_base_ = [
    'mmdet3d::_base_/models/centerpoint_pillar02_second_secfpn_nus.py',
    '../_base_/datasets/synthetic-nus-3d.py',
    'mmdet3d::_base_/schedules/cyclic-20e.py',
    'mmdet3d::_base_/default_runtime.py',
]
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
voxel_size = [0.2, 0.2, 8]
grid_size = [256, 256, 1]  # (x, y, z) pillars; BEV out 64x64 at out_size_factor 4
out_size_factor = 4
post_center_range = [-30.0, -30.0, -10.0, 30.0, 30.0, 10.0]
# CenterHead maps label i to the i-th class of its flattened tasks: keep the stock head order.
class_names = [
    'car', 'truck', 'construction_vehicle', 'bus', 'trailer', 'barrier', 'motorcycle',
    'bicycle', 'pedestrian', 'traffic_cone'
]
metainfo = dict(classes=class_names)
backend_args = None

model = dict(
    data_preprocessor=dict(
        voxel_layer=dict(
            point_cloud_range=point_cloud_range, voxel_size=voxel_size,
            max_voxels=(16000, 20000))),
    pts_voxel_encoder=dict(voxel_size=voxel_size, point_cloud_range=point_cloud_range),
    pts_middle_encoder=dict(output_shape=grid_size[:2][::-1]),  # (ny, nx)
    # CenterHead with CenterPoint's heatmap prior (init_bias -2.19), as every teacher here was
    # trained; the stock CenterHead never sets it (see distillbev/models/dense_heads).
    pts_bbox_head=dict(
        type='CenterHeadWithPrior',
        bbox_coder=dict(
            pc_range=point_cloud_range[:2], post_center_range=post_center_range,
            voxel_size=voxel_size[:2], out_size_factor=out_size_factor)),
    train_cfg=dict(
        pts=dict(
            point_cloud_range=point_cloud_range, grid_size=grid_size, voxel_size=voxel_size,
            out_size_factor=out_size_factor)),
    test_cfg=dict(
        pts=dict(
            pc_range=point_cloud_range[:2], post_center_limit_range=post_center_range,
            voxel_size=voxel_size[:2], out_size_factor=out_size_factor)))

# stock CenterPoint augmentation without GT-paste (no dbinfos for the generated data)
train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
         backend_args=backend_args),
    dict(type='LoadPointsFromMultiSweeps', sweeps_num=9, use_dim=[0, 1, 2, 3, 4],
         pad_empty_sweeps=True, remove_close=True, backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True),
    dict(type='GlobalRotScaleTrans', rot_range=[-0.3925, 0.3925], scale_ratio_range=[0.95, 1.05],
         translation_std=[0, 0, 0]),
    dict(type='RandomFlip3D', sync_2d=False, flip_ratio_bev_horizontal=0.5,
         flip_ratio_bev_vertical=0.5),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PointShuffle'),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_bboxes_3d', 'gt_labels_3d'])
]
test_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
         backend_args=backend_args),
    dict(type='LoadPointsFromMultiSweeps', sweeps_num=9, use_dim=[0, 1, 2, 3, 4],
         pad_empty_sweeps=True, remove_close=True, test_mode=True, backend_args=backend_args),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(pipeline=train_pipeline, metainfo=metainfo, use_valid_flag=True))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, metainfo=metainfo))
test_dataloader = val_dataloader

# ~20 iterations per epoch on the demo-size data (80 train samples / batch 4)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=20)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2, save_last=True))
log_processor = dict(window_size=10)
auto_scale_lr = dict(enable=False, base_batch_size=4)
