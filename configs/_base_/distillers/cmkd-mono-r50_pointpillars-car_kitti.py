# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the KITTI distillation configs at real scale (CMKD stage 1 and stage 2): the
# CMKD mono BEV student (DeepLabV3-ResNet50 layer3, lifted onto the 0.16 m pillar grid,
# 432 x 496, SCNet neck) and the stock mmdet3d PointPillars KITTI car teacher, whose SECOND /
# SECONDFPN / Anchor3DHead the student's config inherits.
# The FOV-reduced velodyne points are packed next to CAM2 for the teacher (voxelised by its own
# data preprocessor) and the depth targets. Method configs add taps and losses.
# Teacher checkpoint: the mmdet3d model zoo's (configs/pointpillars/README.md of mmdet3d), or
# `mim train mmdet3d pointpillars_hv_secfpn_8xb6-160e_kitti-3d-car.py`; put it at the path below
# or pass --cfg-options model.teacher_ckpt=...
_base_ = ['../../students/cmkd-mono_r50-d8_scnet_second_secfpn_2xb4-60e_kitti-3d-car.py']

teacher_config = 'mmdet3d::pointpillars/pointpillars_hv_secfpn_8xb6-160e_kitti-3d-car.py'
teacher_ckpt = ('checkpoints/'
                'hv_pointpillars_secfpn_6x8_160e_kitti-3d-car_20220331_134606-d42d15ed.pth')
point_cloud_range = {{_base_.point_cloud_range}}
class_names = {{_base_.class_names}}
final_size = {{_base_.final_size}}
backend_args = None

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
         keys=['img', 'points', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt)

custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
