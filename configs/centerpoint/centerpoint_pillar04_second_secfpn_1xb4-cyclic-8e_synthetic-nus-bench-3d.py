# Copyright (c) distillbev contributors. All rights reserved.
# LiDAR teacher of the KD benchmark (tools/kd_benchmark.py): the 0.4 m CenterPoint-pillar teacher
# (stock model, 64x64 BEV at 0.8 m, the camera students' grid) on the benchmark's four-class data
# (configs/_base_/datasets/synthetic-nus-bench-3d.py), with the benchmark's CenterHead tasks so
# that its head and responses match the students'. The test dataloader is the held-out test split.
# The demo's 8-epoch one-cycle schedule: 360 iterations on the 180 training samples.
_base_ = [
    './centerpoint_pillar04_second_secfpn_1xb4-cyclic-8e_synthetic-nus-3d.py',
    '../_base_/datasets/synthetic-nus-bench-3d.py',
]

class_names = {{_base_.bench_class_names}}
metainfo = dict(classes=class_names)
point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
data_root = {{_base_.bench_data_root}}
test_root = {{_base_.bench_test_root}}
backend_args = None

model = dict(
    pts_bbox_head=dict(tasks={{_base_.bench_tasks}}),
    test_cfg=dict(pts=dict(min_radius={{_base_.bench_min_radius}})))

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
train_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = dict(
    dataset=dict(data_root=test_root, metainfo=metainfo, ann_file='nuscenes_infos_val.pkl'))
val_evaluator = {{_base_.bench_val_evaluator}}
test_evaluator = {{_base_.bench_test_evaluator}}
