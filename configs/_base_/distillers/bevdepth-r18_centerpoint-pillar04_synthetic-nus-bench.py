# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the KD-benchmark distillation configs (tools/kd_benchmark.py): the benchmark's
# student (BEVDepth-R18 with the depth-pre-trained encoder and depth net; its data, held-out
# test split and 180-iteration schedule come with it) and its LiDAR teacher, the 0.4 m
# CenterPoint-pillar on the same four classes and BEV grid. Both see one augmented scene: LiDAR
# sweeps are loaded next to the six images and GlobalBEVAug3D moves points and boxes together; the
# student's depth targets use the key-frame points only (as the student alone, which loads no
# sweeps). Method configs add taps and losses. BEVDepth-R18 channels: lift-splat BEV 40, BEV stages
# 80 / 160 / 320, BEV neck 128.
_base_ = ['../../students/bevdepth_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py']

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
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(-0.06, 0.11),
         resize_relative=True, rot_lim=(-5.4, 5.4), flip_prob=0.5),
    dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05),
         flip_x_prob=0.5, flip_y_prob=0.5),
    # column 4 holds the sweep time lag: 0 = the key frame
    dict(type='MultiViewDepthFromLiDAR', min_depth=1e-3, time_dim=4),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PointShuffle'),
    dict(type='PackMultiViewDet3DInputs',
         keys=['img', 'points', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt)

# DistillPipelineCheckHook: before the run, the training pipeline must be able to feed the
# distiller (tools/train.py runs the same check; the hook brings it to mim train and mmdet3d's
# own tools/train.py). RNGStateCheckpointHook: --resume continues the random streams, so a
# resumed run's losses equal an uninterrupted run's.
custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
