# Copyright (c) distillbev contributors. All rights reserved.
# CPU-sized KITTI-layout teacher: the stock PointPillars KITTI 3-class model of
# pointpillars_hv_secfpn_1xb4-cyclic-80e_synthetic-kitti-3d-3class.py with 0.32 m pillars
# instead of 0.16 m over the same range: a 216x248 pillar grid (stock 432x496), a 108x124
# BEV map of 0.64 m cells (stock 216x248 of 0.32 m). Backbone, neck, anchors (sizes, heights,
# rotations), assigners, losses and test settings are the stock ones; the anchors follow the
# coarser feature map because Anchor3DHead lays them over the same metric range. A quarter of
# the pillars makes a batch-4 step ~4x cheaper on CPU; the schedule is the stock one-cycle
# compressed to 40 epochs. Measured figures: docs/teachers.md.
_base_ = ['./pointpillars_hv_secfpn_1xb4-cyclic-80e_synthetic-kitti-3d-3class.py']

point_cloud_range = [0, -39.68, -3, 69.12, 39.68, 1]
voxel_size = [0.32, 0.32, 4]
# 69.12 / 0.32 = 216 columns (x), 79.36 / 0.32 = 248 rows (y)
pillar_grid = [248, 216]

model = dict(
    data_preprocessor=dict(
        voxel_layer=dict(voxel_size=voxel_size, max_voxels=(12000, 20000))),
    voxel_encoder=dict(voxel_size=voxel_size),
    middle_encoder=dict(output_shape=pillar_grid))

lr = 0.001
epoch_num = 40
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
train_cfg = dict(max_epochs=epoch_num, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=10))
