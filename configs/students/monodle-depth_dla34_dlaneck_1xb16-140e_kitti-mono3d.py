# Copyright (c) distillbev contributors. All rights reserved.
# MonoDistill's "LiDAR Net" teacher: the MonoDLE CenterNet3D of
# monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d.py (same DLA-34 + DLA neck + MonoDLEHead, same
# schedule, same augmentation) fed the LiDAR depth image of CAM2 instead of the RGB
# (MonoDistill issue #6: the official teacher is the RGB detector with `input['depth']`).
# Input: `training/depth_2/<frame>.png` (uint16, metres x 256; the CaDDN / MonoDistill release, or
# `tools/create_data.py` here) or, without it, the velodyne scan projected into CAM2
# (LoadKittiDepthImage); warped by MonoAffineAug with the RGB's affine (nearest, x crop scale);
# encoded as MonoDistill does (DepthImageInput: 3 copies, / 80, then (x - 8.765) / 11.275), so the
# data preprocessor is the identity. The RGB is still loaded: the augmentation and the camera
# (cam2img) are computed on it, exactly as for the student. The distillation configs load this
# model's checkpoint as the teacher (teacher_ckpt).
_base_ = ['./monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d.py']

input_size = (1280, 384)  # (W, H)
backend_args = None
model = dict(
    data_preprocessor=dict(
        type='Det3DDataPreprocessor', mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=False,
        pad_size_divisor=32))

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
    dict(type='DepthImageInput', out_key='img'),
    dict(type='Pack3DDetInputs',
         keys=['img', 'gt_bboxes', 'gt_bboxes_labels', 'gt_bboxes_3d', 'gt_labels_3d',
               'centers_2d', 'depths'],
         meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='LoadKittiDepthImage'),
    dict(type='MonoAffineAug', resolution=input_size, test_mode=True),
    dict(type='DepthImageInput', out_key='img'),
    dict(type='Pack3DDetInputs', keys=['img'], meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
