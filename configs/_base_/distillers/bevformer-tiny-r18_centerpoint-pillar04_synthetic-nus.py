# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the distillation configs with the small BEVFormer student (tiny architecture,
# ResNet-18, 32x32 BEV at 1.6 m over +-25.6 m, queue length 2) on the generated nuScenes-layout
# dataset and the 0.4 m CenterPoint-pillar teacher (SECONDFPN BEV 384 @ 64x64, 0.8 m cells, over
# the same +-25.6 m). The two BEV grids cover the same area with different cells, so the grid
# check compares the area only (grid_check='range'); the method config's adapter resamples the
# student's BEV onto the teacher's cells.
# The training set stays TemporalFrames(NuScenesDataset) (needs `python tools/add_temporal_infos.py
# --root data/synthetic-nus --infos nuscenes_infos_train.pkl nuscenes_infos_val.pkl`), now with
# the LiDAR modality: the pipeline loads the key frame's points and 9 sweeps for the teacher next
# to the six images of the student, with the student's (no) augmentation: BEVFormer has no
# geometric image or BEV augmentation, GlobalBEVAug3D only records the identity for both. The
# previous frame goes through the same pipeline (its points are loaded and dropped: only its
# images reach the student's queue). The packer keeps 'can_bus' in the metainfo, as the student's
# (the student's CAN-bus MLP; TemporalFrames turns it into deltas to the previous frame); the
# validation pipeline is the student's.
_base_ = ['../../students/bevformer-tiny_r18_fpn_bevformerhead_1xb2-12e_synthetic-nus-3d.py']

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
