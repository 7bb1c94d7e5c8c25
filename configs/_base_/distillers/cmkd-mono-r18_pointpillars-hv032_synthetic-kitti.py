# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the KITTI-layout distillation configs on the generated data: the CMKD mono BEV
# student (ResNet-18, lifted onto the 0.32 m pillar grid) and our PointPillars CPU teacher
# (0.32 m pillars, stock SECOND / SECONDFPN / 3-class Anchor3DHead): the student's BEV half is
# the teacher's config, and its lifted map lies on the teacher's 216 x 248 pillar grid.
# Both see one scene: the KITTI velodyne (FOV-reduced) points are packed next to CAM2 for the
# teacher (voxelised by its own data preprocessor) and the depth targets; the image flip lives
# in img_aug_matrix, so the LiDAR scene is not flipped. Method configs add taps and losses.
# Teacher checkpoint (docs/teachers.md): `python tools/train.py configs/pointpillars/<teacher>.py`
# writes it to the path below (or pass --cfg-options model.teacher_ckpt=...).
_base_ = ['../../students/cmkd-mono_r18_fpn_second_secfpn_1xb4-40e_synthetic-kitti-3d-3class.py']

teacher_name = 'pointpillars_hv032_secfpn_1xb4-cyclic-40e_synthetic-kitti-3d-3class'
teacher_config = '{{ fileDirname }}/../../pointpillars/' + teacher_name + '.py'
teacher_ckpt = 'work_dirs/' + teacher_name + '/epoch_40.pth'
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt)

custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
