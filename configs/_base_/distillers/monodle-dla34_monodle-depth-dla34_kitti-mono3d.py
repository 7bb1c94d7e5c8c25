# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the monocular KITTI distillation configs (MonoDistill, MonoMMKD): the MonoDLE
# DLA-34 student of ../../students/monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d.py and, as the
# teacher, the same network on LiDAR depth images
# (../../students/monodle-depth_dla34_dlaneck_1xb16-140e_kitti-mono3d.py, trained first).
# One augmented frame for both: the depth image is loaded next to the RGB and MonoAffineAug warps
# both with one affine; DepthImageInput encodes the teacher's input (as its own training did);
# PackDepthImageInputs + DepthImageDet3DDataPreprocessor give the batch `depth_imgs`, which
# TeacherDepthImageRunner feeds to the teacher (eval mode, no_grad, never in the optimizer).
# MonoDistill's recipe: the student starts from the RGB pre-training (README: "performance will
# degrade ... if you train from scratch"), batch 12 (2 GPUs x 6 in the paper's DataParallel run),
# Adam 1.25e-3, wd 1e-5, 5 warm-up epochs, x0.1 at 90 / 120, 160 epochs.
# Checkpoints: set teacher_ckpt / student_pretrain below or with --cfg-options
# model.teacher_ckpt=... model.student.init_cfg.checkpoint=...; model.student.init_cfg=None trains
# the student from scratch.
_base_ = ['../../students/monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d.py']

teacher_name = 'monodle-depth_dla34_dlaneck_1xb16-140e_kitti-mono3d'
teacher_config = '{{ fileDirname }}/../../students/' + teacher_name + '.py'
teacher_ckpt = 'work_dirs/' + teacher_name + '/epoch_140.pth'
student_pretrain = 'work_dirs/monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d/epoch_140.pth'
input_size = {{_base_.input_size}}
backend_args = None

meta_keys = ('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'cam2img',
             'lidar2cam', 'box_mode_3d', 'box_type_3d', 'sample_idx', 'mono_crop',
             'mono_affine')
train_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox=True, with_label=True, with_attr_label=False,
         with_bbox_3d=True, with_label_3d=True, with_bbox_depth=True),
    dict(type='LoadKittiDepthImage'),
    dict(type='MonoAffineAug', resolution=input_size, flip_prob=0.5, crop_prob=0.5, scale=0.4,
         shift=0.0),
    dict(type='DepthImageInput', out_key='depth_input'),
    dict(type='PackDepthImageInputs',
         keys=['img', 'depth_input', 'gt_depth', 'gt_bboxes', 'gt_bboxes_labels',
               'gt_bboxes_3d', 'gt_labels_3d', 'centers_2d', 'depths'],
         meta_keys=meta_keys),
]
train_dataloader = dict(batch_size=12, dataset=dict(pipeline=train_pipeline))

# the method configs start the student from the RGB pre-training with
# `student=dict(init_cfg={{_base_.student_init}}, backbone=dict(init_cfg=None))`
student_init = dict(type='Pretrained', checkpoint=student_pretrain)
model = dict(
    _delete_=True,
    type='CrossModalDistiller',
    student={{_base_.model}},
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt,
    teacher_runner=dict(type='TeacherDepthImageRunner', head='bbox_head'),
    data_preprocessor=dict(
        type='DepthImageDet3DDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32))

lr = 1.25e-3
max_epochs = 160
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-5 / lr, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[90, 120],
         gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
auto_scale_lr = dict(enable=False, base_batch_size=12)
custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
