# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the KD-benchmark distillation configs with the BEVFormer student (issue 13): the
# benchmark's BEVFormer-tiny-R18 with CenterHead (32x32 BEV at 1.6 m, queue length 2, every split
# in TemporalFrames; its data, held-out test split and 180-iteration schedule come with it) and
# the benchmark's LiDAR teacher (SECONDFPN BEV 384 @ 64x64, 0.8 m cells, over the same +-25.6 m).
# As in bevformer-tiny-r18_centerpoint-pillar04_synthetic-nus.py: the two grids cover one area
# with different cells (grid_check='range'; the method's adapter resamples the student's BEV), the
# pipeline loads the key frame's points and 9 sweeps for the teacher next to the student's six
# images, with the student's (no) augmentation, and keeps 'can_bus' in the metainfo.
_base_ = ['../../students/bevformer-tiny-centerhead_r18_fpn_1xb4-15min_synthetic-nus-bench-3d.py']

teacher_config = {{_base_.bench_teacher_config}}
teacher_ckpt = {{_base_.bench_teacher_ckpt}}  # written by tools/kd_benchmark.py
point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
class_names = {{_base_.class_names}}
final_size = {{_base_.final_size}}
backend_args = None

train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
         backend_args=backend_args),
    dict(type='LoadPointsFromMultiSweeps', sweeps_num=9, use_dim=[0, 1, 2, 3, 4],
         pad_empty_sweeps=True, remove_close=True, backend_args=backend_args),
    dict(type='LoadMultiViewImagesWithCalib', num_views=6, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(0.0, 0.0),
         resize_relative=True, rot_lim=(0.0, 0.0), flip_prob=0.0),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PointShuffle'),
    dict(type='PackMultiViewDet3DInputs',
         keys=['img', 'points', 'gt_bboxes_3d', 'gt_labels_3d'],
         extra_meta_keys=['can_bus']),  # the student's CAN-bus input (see its config)
]
# TemporalFrames -> NuScenesDataset
train_dataloader = dict(dataset=dict(dataset=dict(
    pipeline=train_pipeline, modality=dict(use_lidar=True, use_camera=True))))

model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt,
    grid_check='range')

# see bevdet-r18_centerpoint-pillar04_synthetic-nus.py
custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
