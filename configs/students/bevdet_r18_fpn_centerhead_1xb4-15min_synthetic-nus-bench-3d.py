# Copyright (c) distillbev contributors. All rights reserved.
# BEVDet-R18 student of the KD benchmark (tools/kd_benchmark.py, docs/kd_benchmark.md): the small
# synthetic BEVDet (6 views at 128x352, 64x64 BEV at 0.8 m over +-25.6 m) on the benchmark's
# four-class data (configs/_base_/datasets/synthetic-nus-bench-3d.py), with its image backbone
# and neck initialised from depth pre-training on the benchmark's training images
# (configs/pretrain/: LiDAR depth only, no boxes, no val/test data), and a schedule that fits a
# distillation run into 15 minutes on 2 CPU cores (docs/student_regime.md). The test dataloader
# is the held-out test split.
_base_ = [
    './bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py',
    '../_base_/datasets/synthetic-nus-bench-3d.py',
    '../_base_/schedules/synthetic-nus-bench-15min.py',
]

class_names = {{_base_.bench_class_names}}
metainfo = dict(classes=class_names)
point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
final_size = (128, 352)
num_views = 6
data_root = {{_base_.bench_data_root}}
test_root = {{_base_.bench_test_root}}
pretrained = 'checkpoints/r18-fpn_depth-pretrain_synthetic-nus-bench.pth'
backend_args = None

model = dict(
    # the pre-trained stem and first stage stay frozen: 15% off the training step, and the
    # high-resolution stage sees depth pre-training only (docs/student_regime.md)
    img_backbone=dict(
        frozen_stages=1,
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=pretrained,
                      prefix='img_backbone.')),
    img_neck=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='img_neck.')),
    pts_bbox_head=dict(tasks={{_base_.bench_tasks}}),
    test_cfg=dict(pts=dict(min_radius={{_base_.bench_min_radius}})))

train_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(-0.06, 0.11),
         resize_relative=True, rot_lim=(-5.4, 5.4), flip_prob=0.5),
    dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05),
         flip_x_prob=0.5, flip_y_prob=0.5),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PackMultiViewDet3DInputs', keys=['img', 'gt_bboxes_3d', 'gt_labels_3d']),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = dict(
    dataset=dict(data_root=test_root, metainfo=metainfo, ann_file='nuscenes_infos_val.pkl'))
val_evaluator = {{_base_.bench_val_evaluator}}
test_evaluator = {{_base_.bench_test_evaluator}}

# the benchmark's 180-iteration schedule (../_base_/schedules/synthetic-nus-bench-15min.py)
optim_wrapper = {{_base_.nus_bench_15min_optim_wrapper}}
param_scheduler = {{_base_.nus_bench_15min_param_scheduler}}
train_cfg = {{_base_.nus_bench_15min_train_cfg}}
default_hooks = {{_base_.nus_bench_15min_default_hooks}}
log_processor = {{_base_.nus_bench_15min_log_processor}}
