# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the distillation configs on the generated nuScenes-layout dataset: the small
# BEVDet-R18 student (64x64 BEV at 0.8 m over +-25.6 m) and the CPU-friendly CenterPoint-pillar
# teacher (0.4 m pillars, stock SECOND/SECONDFPN/CenterHead, 64x64 BEV on the same grid).
# The BEV grid is the student head's (KD targets receive it from the distiller).
# Both see one augmented scene: LiDAR sweeps are loaded next to the six images and GlobalBEVAug3D
# moves points and boxes together. Method configs add taps and losses.
# Teacher checkpoint: `python tools/train.py configs/centerpoint/<teacher>.py` writes it to the
# path below (or pass --cfg-options model.teacher_ckpt=...).
_base_ = ['../../students/bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py']

teacher_name = 'centerpoint_pillar04_second_secfpn_1xb4-cyclic-16e_synthetic-nus-3d'
teacher_config = '{{ fileDirname }}/../../centerpoint/' + teacher_name + '.py'
teacher_ckpt = 'work_dirs/' + teacher_name + '/epoch_16.pth'
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
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PointShuffle'),
    dict(type='PackMultiViewDet3DInputs',
         keys=['img', 'points', 'gt_bboxes_3d', 'gt_labels_3d']),
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
