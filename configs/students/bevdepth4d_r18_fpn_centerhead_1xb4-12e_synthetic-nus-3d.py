# Copyright (c) distillbev contributors. All rights reserved.
# BEVDepth4D (two key frames) for the generated nuScenes-layout dataset: the small BEVDepth config
# whose BEV encoder takes the current lift-splat BEV (40 ch) concatenated with the previous key
# frame's (computed without gradient, warped into the current frame through the ego motion and
# the shared BEV augmentation): 80 input channels, the stages keep BEVDepth's widths (80, 160,
# 320). The training and evaluation sets are wrapped in TemporalFrames (each sample with its own
# previous key frame, as the nuScenes config), which needs the temporal infos:
#   python tools/add_temporal_infos.py --root data/synthetic-nus \
#       --infos nuscenes_infos_train.pkl nuscenes_infos_val.pkl
# (writes nuscenes_infos_{train,val}_temporal.pkl).
_base_ = ['./bevdepth_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py']

numC_Trans = 40
num_prev = 1

model = dict(
    type='BEVDepth4D',
    num_prev=num_prev,
    data_preprocessor=dict(type='TemporalDet3DDataPreprocessor'),
    img_bev_encoder_backbone=dict(
        in_channels=numC_Trans * (1 + num_prev),
        num_channels=[numC_Trans * 2, numC_Trans * 4, numC_Trans * 8]))

data_root = {{_base_.data_root}}
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TemporalFrames',
        num_prev=num_prev,
        dataset=dict(
            type='NuScenesDataset',
            data_root=data_root,
            ann_file='nuscenes_infos_train_temporal.pkl',
            pipeline={{_base_.train_pipeline}},
            metainfo={{_base_.metainfo}},
            modality=dict(use_lidar=True, use_camera=True),
            data_prefix={{_base_.data_prefix}},
            test_mode=False,
            use_valid_flag=True,
            box_type_3d='LiDAR')))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TemporalFrames',
        num_prev=num_prev,
        dataset=dict(
            type='NuScenesDataset',
            data_root=data_root,
            ann_file='nuscenes_infos_val_temporal.pkl',
            pipeline={{_base_.test_pipeline}},
            metainfo={{_base_.metainfo}},
            modality=dict(use_lidar=True, use_camera=True),
            data_prefix={{_base_.data_prefix}},
            test_mode=True,
            box_type_3d='LiDAR')))
test_dataloader = val_dataloader
