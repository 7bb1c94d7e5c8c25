# Copyright (c) distillbev contributors. All rights reserved.
# BEVDepth4D-R50 (two key frames, CBGS) on nuScenes: DistillBEV's student (methods.md 3.2). The
# BEVDepth-R50 config whose BEV encoder takes the current lift-splat BEV (80 ch) concatenated with
# the previous key frame's (computed without gradient, warped into the current frame through the
# ego motion and the shared BEV augmentation): 160 input channels, the stages keep BEVDepth-R50's
# widths (160, 320, 640), so the FPN-LSS neck and the head are unchanged.
# Data: the training set is CBGSDataset(TemporalFrames(NuScenesDataset)) and evaluation runs
# through TemporalFrames too (each sample with its own previous key frame), on the temporal infos:
#   python tools/add_temporal_infos.py --root data/nuscenes --version v1.0-trainval \
#       --infos nuscenes_infos_train.pkl nuscenes_infos_val.pkl
# (writes nuscenes_infos_{train,val}_temporal.pkl; the metric keeps the stock val infos).
_base_ = ['./bevdepth_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py']

numC_Trans = 80
num_prev = 1

model = dict(
    type='BEVDepth4D',
    num_prev=num_prev,
    data_preprocessor=dict(type='TemporalDet3DDataPreprocessor'),
    img_bev_encoder_backbone=dict(
        in_channels=numC_Trans * (1 + num_prev),
        num_channels=[numC_Trans * 2, numC_Trans * 4, numC_Trans * 8]))

dataset_type = {{_base_.dataset_type}}
data_root = {{_base_.data_root}}
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='TemporalFrames',
            num_prev=num_prev,
            dataset=dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='nuscenes_infos_train_temporal.pkl',
                pipeline={{_base_.train_pipeline}},
                metainfo={{_base_.metainfo}},
                modality={{_base_.input_modality}},
                data_prefix={{_base_.data_prefix}},
                test_mode=False,
                use_valid_flag=True,
                box_type_3d='LiDAR',
                backend_args={{_base_.backend_args}}))))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TemporalFrames',
        num_prev=num_prev,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='nuscenes_infos_val_temporal.pkl',
            pipeline={{_base_.test_pipeline}},
            metainfo={{_base_.metainfo}},
            modality={{_base_.input_modality}},
            data_prefix={{_base_.data_prefix}},
            test_mode=True,
            box_type_3d='LiDAR',
            backend_args={{_base_.backend_args}})))
test_dataloader = val_dataloader
