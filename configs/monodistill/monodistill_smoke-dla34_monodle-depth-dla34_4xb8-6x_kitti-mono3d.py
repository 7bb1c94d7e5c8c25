# Copyright (c) distillbev contributors. All rights reserved.
# MonoDistill's feature-level losses on another architecture: the stock mmdet3d SMOKE
# (mmdet3d::smoke/smoke_dla34_dlaneck_gn-all_4xb8-6x_kitti-mono3d.py: DLA-34 with GroupNorm,
# SMOKE head, its schedule, 4 GPUs x 8) learns from the MonoDLE depth-image teacher
# (../students/monodle-depth_dla34_dlaneck_1xb16-140e_kitti-mono3d.py). Both backbones are DLA-34
# (levels 3 / 4 / 5: 128 / 256 / 512 channels at strides 8 / 16 / 32), so the object-level
# feature loss (x10) and the scene-level affinity (x1) of ../_base_/kd/monodistill.py apply
# unchanged; the head response loss is MonoDLE-head specific and is left out.
# One change to the stock SMOKE config: its augmentation (RandomFlip3D + RandomShiftScale +
# AffineResize) moves only the RGB, so it is replaced by MonoAffineAug (flip 0.5; shift-scale
# with SMOKE's probability 0.3, scale 0.4, shift 0.2), which moves the depth image with it;
# MonoAffineSMOKEMeta then gives SMOKE its trans_mat / affine_aug. The student starts from
# ImageNet (stock SMOKE); the teacher's checkpoint is the MonoDLE depth teacher's.
_base_ = [
    'mmdet3d::smoke/smoke_dla34_dlaneck_gn-all_4xb8-6x_kitti-mono3d.py',
    '../_base_/kd/monodistill.py'
]
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

teacher_name = 'monodle-depth_dla34_dlaneck_1xb16-140e_kitti-mono3d'
teacher_config = '{{ fileDirname }}/../students/' + teacher_name + '.py'
teacher_ckpt = 'work_dirs/' + teacher_name + '/epoch_140.pth'
input_size = (1280, 384)  # (W, H), SMOKE's
backend_args = None

meta_keys = ('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'cam2img',
             'lidar2cam', 'box_mode_3d', 'box_type_3d', 'sample_idx', 'trans_mat',
             'affine_aug', 'mono_crop', 'mono_affine')
train_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox=True, with_label=True, with_attr_label=False,
         with_bbox_3d=True, with_label_3d=True, with_bbox_depth=True),
    dict(type='LoadKittiDepthImage'),
    dict(type='MonoAffineAug', resolution=input_size, flip_prob=0.5, crop_prob=0.3, scale=0.4,
         shift=0.2),
    dict(type='MonoAffineSMOKEMeta', down_ratio=4),
    dict(type='DepthImageInput', out_key='depth_input'),
    dict(type='PackDepthImageInputs',
         keys=['img', 'depth_input', 'gt_bboxes', 'gt_bboxes_labels', 'gt_bboxes_3d',
               'gt_labels_3d', 'centers_2d', 'depths'],
         meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='MonoAffineAug', resolution=input_size, test_mode=True),
    dict(type='MonoAffineSMOKEMeta', down_ratio=4),
    dict(type='Pack3DDetInputs', keys=['img'], meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt,
    teacher_runner=dict(type='TeacherDepthImageRunner'),  # backbone taps only: no head
    data_preprocessor=dict(
        type='DepthImageDet3DDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    student_taps=dict(backbone='backbone'),
    teacher_taps={{_base_.monodistill_feature_teacher_taps}},
    adapters={{_base_.monodistill_adapters}},
    kd_targets={{_base_.monodistill_feature_kd_targets}},
    distill_losses={{_base_.monodistill_feature_distill_losses}})
custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
