# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the nuScenes distillation configs with the BEVFormer-tiny student (ResNet-50,
# BEVFormerHead, 50x50 BEV at 2.048 m over +-51.2 m, queue length 3) and the stock mmdet3d
# CenterPoint pillar 0.2 LiDAR teacher (10 sweeps; SECONDFPN BEV 384 @ 128x128, 0.8 m cells, over
# the same +-51.2 m). The two BEV grids cover the same area with different cells, so the grid
# check compares the area only (grid_check='range'); the method config's adapter resamples the
# student's BEV onto the teacher's cells.
# The training set stays TemporalFrames(NuScenesDataset) on the temporal infos (see the student
# config), now with the LiDAR modality: the pipeline loads the key frame's points and 9 sweeps for
# the teacher next to the six images of the student, with the student's fixed x0.5 resize and no
# BEV augmentation (GlobalBEVAug3D only records the identity for both). The two previous frames go
# through the same pipeline (their points are loaded and dropped: only their images reach the
# student's queue). The packer keeps 'can_bus' in the metainfo, as the student's (the student's
# CAN-bus MLP; TemporalFrames turns it into deltas to the previous frame); the validation pipeline
# is the student's. Teacher checkpoint: see bevdepth-r50_centerpoint-pillar02_nus.py.
_base_ = ['../../students/bevformer-tiny_r50_fpn_bevformerhead_8xb1-24e_nus-3d.py']

teacher_config = 'mmdet3d::centerpoint/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.py'
teacher_ckpt = 'checkpoints/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.pth'
point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
class_names = {{_base_.class_names}}
final_size = {{_base_.final_size}}
img_scale = {{_base_.img_scale}}
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
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(img_scale, img_scale),
         rot_lim=(0.0, 0.0), flip_prob=0.0),
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

# see bevdepth-r50_centerpoint-pillar02_nus.py
custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
