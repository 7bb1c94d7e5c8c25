# Copyright (c) distillbev contributors. All rights reserved.
# Small BEVFormer for the generated nuScenes-layout dataset (CPU-trainable): the tiny
# architecture (queries, TSA, SCA, set-prediction head, queue) at the scale of the small BEVDepth4D
# config: ResNet-18 from scratch + FPN 512 -> 64 (1 level), 6 views at 128x352, BEV 32x32 over
# +-25.6 m (1.6 m cells), 64 dims, 2 encoder / 3 decoder layers, 100 queries, queue length 2,
# the CAN-bus MLP on the queries (18 -> 32 -> 64, LayerNorm; use_can_bus=True as published). The
# generated data has no CAN-bus expansion: its 'can_bus' is the ego-pose equivalent (position,
# orientation, velocity, acceleration, yaw rate from the LiDAR ego poses); both packers keep it and
# TemporalFrames turns position and heading into deltas to the previous frame.
# Train and val sets are wrapped in TemporalFrames, which needs the temporal infos:
#   python tools/add_temporal_infos.py --root data/synthetic-nus \
#       --infos nuscenes_infos_train.pkl nuscenes_infos_val.pkl
_base_ = ['./bevformer-tiny_r50_fpn_bevformerhead_8xb1-24e_nus-3d.py']

point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
post_center_range = [-30.0, -30.0, -10.0, 30.0, 30.0, 10.0]
final_size = (128, 352)
num_views = 6
bev_h = 32
bev_w = 32
embed_dims = 64
ffn_dims = 128
queue_length = 2
voxel_size = [0.4, 0.4, 8.0]  # x factor 4 = 1.6 m cells
out_size_factor = 4
class_names = {{_base_.class_names}}
metainfo = dict(classes=class_names)
backend_args = None

model = dict(
    num_prev=queue_length - 1,
    img_backbone=dict(depth=18, frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                      norm_eval=False, init_cfg=None),
    img_neck=dict(in_channels=[512], out_channels=embed_dims),
    bev_encoder=dict(
        point_cloud_range=point_cloud_range,
        bev_shape=(bev_h, bev_w),
        embed_dims=embed_dims,
        num_layers=2,
        layer_cfg=dict(num_heads=4, feedforward_channels=ffn_dims),
        use_can_bus=True),
    pts_bbox_head=dict(
        in_channels=embed_dims,
        num_query=100,
        point_cloud_range=point_cloud_range,
        decoder=dict(num_layers=3, layer_cfg=dict(num_heads=4, feedforward_channels=ffn_dims)),
        bbox_coder=dict(post_center_range=post_center_range, max_num=100)),
    train_cfg=dict(pts=dict(point_cloud_range=point_cloud_range,
                            grid_size=[bev_w * out_size_factor, bev_h * out_size_factor, 1],
                            voxel_size=voxel_size)))

data_root = 'data/synthetic-nus/'
train_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
         with_attr_label=False),
    # the test-time fit scale, no crop jitter, rotation or flip (BEVFormer has none)
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(0.0, 0.0),
         resize_relative=True, rot_lim=(0.0, 0.0), flip_prob=0.0),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='PackMultiViewDet3DInputs', keys=['img', 'gt_bboxes_3d', 'gt_labels_3d'],
         extra_meta_keys=['can_bus']),
]
test_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=num_views, channel_order='bgr',
         backend_args=backend_args),
    dict(type='MultiViewImageAffineAug', final_size=final_size, test_mode=True),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PackMultiViewDet3DInputs', keys=['img'], extra_meta_keys=['can_bus']),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(num_prev=queue_length - 1,
                 dataset=dict(data_root=data_root, pipeline=train_pipeline,
                              data_prefix={{_base_.data_prefix}})))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(num_prev=queue_length - 1,
                 dataset=dict(data_root=data_root, pipeline=test_pipeline)))
test_dataloader = val_dataloader
eval_version = __import__('os').path.join(
    __import__('importlib.util').util.find_spec(
        'distillbev').submodule_search_locations[0], 'datasets', 'synthetic',
    'detection_synthetic')
val_evaluator = dict(data_root=data_root, ann_file=data_root + 'nuscenes_infos_val.pkl',
                     eval_version=eval_version)
test_evaluator = val_evaluator

param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=12, T_max=12,
         eta_min_ratio=1e-3, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=12, val_interval=12)
auto_scale_lr = dict(enable=False, base_batch_size=2)
