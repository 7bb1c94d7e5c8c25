# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the nuScenes distillation configs with the two-frame BEVDepth4D-R50 student
# (DistillBEV's) and the stock mmdet3d CenterPoint pillar 0.2 LiDAR teacher (10 sweeps). The
# training set is CBGSDataset(TemporalFrames(NuScenesDataset)) on the temporal infos (see the
# student config). The teacher sees the current frame's LiDAR (key frame and 9 sweeps) with the
# BEV augmentation that every frame of the sample shares; BEVDepth's depth targets use the
# key-frame points only. TemporalFrames runs the same pipeline for the previous frame (its points
# are loaded and dropped: only its images reach the student). As bevdepth-r50_centerpoint-
# pillar02_nus.py otherwise (teacher checkpoint: see there).
_base_ = ['../../students/bevdepth4d_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py']

teacher_config = 'mmdet3d::centerpoint/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.py'
teacher_ckpt = 'checkpoints/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.pth'
point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
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
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(0.386, 0.55),
         bot_pct_lim=(0.0, 0.0), rot_lim=(-5.4, 5.4), flip_prob=0.5),
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
# CBGSDataset -> TemporalFrames -> NuScenesDataset
train_dataloader = dict(dataset=dict(dataset=dict(dataset=dict(pipeline=train_pipeline))))

model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt)

# see bevdepth-r50_centerpoint-pillar02_nus.py
custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
