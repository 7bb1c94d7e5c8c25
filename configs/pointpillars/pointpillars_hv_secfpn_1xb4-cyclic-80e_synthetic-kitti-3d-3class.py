# Copyright (c) distillbev contributors. All rights reserved.
# LiDAR teacher for the generated KITTI-layout dataset: the STOCK mmdet3d PointPillars KITTI
# 3-class model (0.16 m pillars over [0, -39.68, -3, 69.12, 39.68, 1] -> 432x496 grid, SECOND,
# SECONDFPN -> 216x248 BEV, Anchor3DHead with the stock anchors). The generated frames use the
# KITTI rig (objects 8-50 m ahead), so the model is unchanged; only the data differ: no GT-paste
# (no dbinfos for the generated data), 1 process x batch 4, the stock one-cycle schedule over
# 80 epochs. Evaluation: stock KittiMetric (AP R40); on CPU-only machines `import distillbev`
# makes its rotated-box overlaps run on the CPU. ~10 s per step on a 2-core CPU: train it on a
# GPU, or use the 0.32 m variant (pointpillars_hv032_..., measured in docs/teachers.md) on CPU.
_base_ = [
    'mmdet3d::_base_/models/pointpillars_hv_secfpn_kitti.py',
    '../_base_/datasets/synthetic-kitti-3d.py',
    'mmdet3d::_base_/schedules/cyclic-40e.py',
    'mmdet3d::_base_/default_runtime.py',
]
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

point_cloud_range = [0, -39.68, -3, 69.12, 39.68, 1]
class_names = ['Pedestrian', 'Cyclist', 'Car']
metainfo = dict(classes=class_names)
backend_args = None

# stock PointPillars KITTI augmentation without ObjectSample
train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4,
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True),
    dict(type='RandomFlip3D', flip_ratio_bev_horizontal=0.5),
    dict(type='GlobalRotScaleTrans', rot_range=[-0.78539816, 0.78539816],
         scale_ratio_range=[0.95, 1.05]),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PointShuffle'),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_labels_3d', 'gt_bboxes_3d'])
]
test_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4,
         backend_args=backend_args),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(
    batch_size=4, dataset=dict(pipeline=train_pipeline, metainfo=metainfo))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, metainfo=metainfo))
test_dataloader = val_dataloader

lr = 0.001  # stock PointPillars KITTI lr
epoch_num = 80
optim_wrapper = dict(optimizer=dict(lr=lr), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=epoch_num * 0.4, eta_min=lr * 10, begin=0,
         end=epoch_num * 0.4, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=epoch_num * 0.6, eta_min=lr * 1e-4,
         begin=epoch_num * 0.4, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.4, eta_min=0.85 / 0.95, begin=0,
         end=epoch_num * 0.4, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.6, eta_min=1,
         begin=epoch_num * 0.4, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=epoch_num, val_interval=epoch_num)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=2, save_last=True))
log_processor = dict(window_size=10)
auto_scale_lr = dict(enable=False, base_batch_size=4)
