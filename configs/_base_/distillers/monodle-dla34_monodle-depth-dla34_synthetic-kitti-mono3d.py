# Copyright (c) distillbev contributors. All rights reserved.
# The monocular distillation base of monodle-dla34_monodle-depth-dla34_kitti-mono3d.py on the
# generated KITTI-layout data: student monodle_dla34_dlaneck_1xb4-40e_synthetic-kitti-mono3d.py,
# teacher monodle-depth_dla34_dlaneck_1xb4-40e_synthetic-kitti-mono3d.py (train both first: the
# student's checkpoint is its starting point, the teacher's the teacher), 640x192, batch 4, the
# student's 40-epoch schedule (MonoDistill's 160 / 140 epoch ratio is not kept: not tuned).
# Same pipeline as the real-scale base: one MonoAffineAug for the RGB and the depth image.
_base_ = ['../../students/monodle_dla34_dlaneck_1xb4-40e_synthetic-kitti-mono3d.py']

teacher_name = 'monodle-depth_dla34_dlaneck_1xb4-40e_synthetic-kitti-mono3d'
teacher_config = '{{ fileDirname }}/../../students/' + teacher_name + '.py'
teacher_ckpt = 'work_dirs/' + teacher_name + '/epoch_40.pth'
student_pretrain = 'work_dirs/monodle_dla34_dlaneck_1xb4-40e_synthetic-kitti-mono3d/epoch_40.pth'
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# the method configs start the student from its pre-training with
# `student=dict(init_cfg={{_base_.student_init}})`
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
custom_hooks = [dict(type='DistillPipelineCheckHook'), dict(type='RNGStateCheckpointHook')]
