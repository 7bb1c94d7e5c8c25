# Copyright (c) distillbev contributors. All rights reserved.
# Faster CPU variant of the synthetic-nuScenes CenterPoint-pillar teacher (the 30-minute demo):
# 0.4 m pillars over +-25.6 m -> 128x128 grid; the stock SECOND (strides 2, 2, 2 -> 64, 32, 16)
# and SECONDFPN with upsample strides [1, 2, 4] (stock: [0.5, 1, 2]) -> 3 x 128 channels at
# 64x64 (out_size_factor 2), i.e. the same 0.8 m BEV grid as the camera students and the 0.2 m
# teacher. Everything else (stock cyclic 20-epoch schedule included) as in the 0.2 m config.
# The demo trains the 8-epoch version: centerpoint_pillar04_..._1xb4-cyclic-8e_synthetic-nus-3d.py.
_base_ = ['./centerpoint_pillar02_second_secfpn_1xb4-cyclic-20e_synthetic-nus-3d.py']

point_cloud_range = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
voxel_size = [0.4, 0.4, 8]
grid_size = [128, 128, 1]
out_size_factor = 2

model = dict(
    data_preprocessor=dict(voxel_layer=dict(voxel_size=voxel_size, max_voxels=(12000, 16000))),
    pts_voxel_encoder=dict(voxel_size=voxel_size),
    pts_middle_encoder=dict(output_shape=grid_size[:2][::-1]),
    pts_neck=dict(upsample_strides=[1, 2, 4]),
    pts_bbox_head=dict(
        bbox_coder=dict(voxel_size=voxel_size[:2], out_size_factor=out_size_factor)),
    train_cfg=dict(
        pts=dict(grid_size=grid_size, voxel_size=voxel_size, out_size_factor=out_size_factor)),
    test_cfg=dict(pts=dict(voxel_size=voxel_size[:2], out_size_factor=out_size_factor)))
