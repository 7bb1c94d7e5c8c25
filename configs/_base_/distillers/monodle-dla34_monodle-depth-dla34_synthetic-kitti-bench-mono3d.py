# Copyright (c) distillbev contributors. All rights reserved.
# Shared part of the monocular distillation configs of the CPU regime: the student
# monodle_dla34_dlaneck_1xb4-15min_synthetic-kitti-bench-mono3d.py (its data, held-out test split
# and 300-iteration schedule come with it) and its depth-image teacher
# monodle-depth_dla34_dlaneck_1xb4-90min_synthetic-kitti-bench-mono3d.py (1800 iterations; train it
# first: at 300 and at 900 iterations the teacher was no stronger than the student). The
# distilled student starts from the same initialisation as the student alone (no RGB
# pre-training stage: MonoDistill's code distils from its RGB pre-training, which would give the
# distilled student twice the baseline's training), so the two are paired on one schedule.
# Teacher and student see one augmented frame (one MonoAffineAug for the RGB and depth image);
# the depth image is completed into a dense map, as for the teacher's own training.
_base_ = ['../../students/monodle_dla34_dlaneck_1xb4-15min_synthetic-kitti-bench-mono3d.py']

teacher_name = 'monodle-depth_dla34_dlaneck_1xb4-90min_synthetic-kitti-bench-mono3d'
teacher_config = '{{ fileDirname }}/../../students/' + teacher_name + '.py'
teacher_ckpt = 'work_dirs/' + teacher_name + '/iter_1800.pth'
input_size = {{_base_.input_size}}
meta_keys = {{_base_.meta_keys}}
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox=True, with_label=True, with_attr_label=False,
         with_bbox_3d=True, with_label_3d=True, with_bbox_depth=True),
    dict(type='LoadKittiDepthImage', complete=True),
    dict(type='MonoAffineAug', resolution=input_size, flip_prob=0.5, crop_prob=0.5, scale=0.4,
         shift=0.0),
    dict(type='DepthImageInput', out_key='depth_input', mean={{_base_.kitti_bench_depth_mean}},
         std={{_base_.kitti_bench_depth_std}}),
    dict(type='PackDepthImageInputs',
         keys=['img', 'depth_input', 'gt_depth', 'gt_bboxes', 'gt_bboxes_labels',
               'gt_bboxes_3d', 'gt_labels_3d', 'centers_2d', 'depths'],
         meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

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
