# Copyright (c) distillbev contributors. All rights reserved.
# MonoDLE CenterNet3D on the generated KITTI-layout dataset (tools/create_synthetic.py kitti +
# tools/create_data.py kitti: the stock converter writes the v2 infos with CAM2 cam_instances),
# in monocular mode through the stock KittiDataset / KittiMetric. Same model and augmentation
# as the KITTI config; the generated 620x188 frames are warped to 640x192; DLA-34 from scratch
# (no download here), batch 4, 40 epochs (2 warm-up, x0.1 at 26 and 34). Not tuned. The DLA neck
# runs without DCNv2 here: mmcv's CPU DCNv2 makes a step 10x slower (30 s against 3 s at batch 4
# on 2 cores, measured 2026-12-06); the real-scale config keeps MonoDLE's DCN.
_base_ = [
    './monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d.py',
]

data_root = 'data/synthetic-kitti/'
input_size = (640, 192)  # (W, H)
class_names = ['Pedestrian', 'Cyclist', 'Car']
metainfo = dict(classes=class_names)
backend_args = None

model = dict(
    backbone=dict(init_cfg=None),
    neck=dict(use_dcn=False),
    bbox_head=dict(test_cfg=dict(topk=50, score_thr=0.1, depth_uncertainty_score=False)))

meta_keys = ('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'cam2img',
             'lidar2cam', 'box_mode_3d', 'box_type_3d', 'sample_idx', 'mono_crop',
             'mono_affine')
train_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox=True, with_label=True, with_attr_label=False,
         with_bbox_3d=True, with_label_3d=True, with_bbox_depth=True),
    dict(type='MonoAffineAug', resolution=input_size, flip_prob=0.5, crop_prob=0.5, scale=0.4,
         shift=0.0),
    dict(type='Pack3DDetInputs',
         keys=['img', 'gt_bboxes', 'gt_bboxes_labels', 'gt_bboxes_3d', 'gt_labels_3d',
               'centers_2d', 'depths'],
         meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFileMono3D', backend_args=backend_args),
    dict(type='MonoAffineAug', resolution=input_size, test_mode=True),
    dict(type='Pack3DDetInputs', keys=['img'], meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=4, num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline, metainfo=metainfo))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline, metainfo=metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(type='KittiMetric', ann_file=data_root + 'kitti_infos_val.pkl',
                     metric='bbox', backend_args=backend_args)
test_evaluator = val_evaluator

lr = 1.25e-3
max_epochs = 40
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-5 / lr, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[26, 34],
         gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5))
