# Copyright (c) distillbev contributors. All rights reserved.
# BEVDepth4D-R18 student of the KD benchmark (tools/kd_benchmark.py, issue 13): the benchmark's
# BEVDepth-R18 (four-class data, depth-pre-trained encoder and depth net, held-out test split,
# 180-iteration schedule) with the temporal change of
# bevdepth4d_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py: the previous key frame's lift-splat
# BEV (no gradient), warped into the current frame, is concatenated with the current one (80 BEV
# input channels; stages 80 / 160 / 320 as BEVDepth-R18). Every split is wrapped in
# TemporalFrames, which reads the temporal infos that tools/kd_benchmark.py writes next to the
# standard ones (tools/add_temporal_infos.py): nuscenes_infos_{train,val}_temporal.pkl in both
# generated roots.
_base_ = ['./bevdepth_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py']

numC_Trans = 40
num_prev = 1
data_root = {{_base_.data_root}}
test_root = {{_base_.test_root}}
metainfo = {{_base_.metainfo}}
data_prefix = {{_base_.data_prefix}}

model = dict(
    type='BEVDepth4D',
    num_prev=num_prev,
    data_preprocessor=dict(type='TemporalDet3DDataPreprocessor'),
    img_bev_encoder_backbone=dict(
        in_channels=numC_Trans * (1 + num_prev),
        num_channels=[numC_Trans * 2, numC_Trans * 4, numC_Trans * 8]))

temporal_dataset = dict(
    type='NuScenesDataset',
    data_root=data_root,
    ann_file='nuscenes_infos_train_temporal.pkl',
    pipeline={{_base_.train_pipeline}},
    metainfo=metainfo,
    modality=dict(use_lidar=True, use_camera=True),
    data_prefix=data_prefix,
    test_mode=False,
    use_valid_flag=True,
    box_type_3d='LiDAR')
train_dataloader = dict(
    dataset=dict(_delete_=True, type='TemporalFrames', num_prev=num_prev,
                 dataset=temporal_dataset))
val_dataloader = dict(
    dataset=dict(
        _delete_=True, type='TemporalFrames', num_prev=num_prev,
        dataset=dict(temporal_dataset, ann_file='nuscenes_infos_val_temporal.pkl',
                     pipeline={{_base_.test_pipeline}}, test_mode=True)))
# the held-out split: the val scenes of the test set's own root
test_dataloader = dict(
    dataset=dict(
        _delete_=True, type='TemporalFrames', num_prev=num_prev,
        dataset=dict(temporal_dataset, data_root=test_root,
                     ann_file='nuscenes_infos_val_temporal.pkl',
                     pipeline={{_base_.test_pipeline}}, test_mode=True)))
