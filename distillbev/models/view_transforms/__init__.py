# Copyright (c) distillbev contributors. All rights reserved.
from .bev_pool import (bev_cell_of, bev_pool, bev_pool_depth, bev_pool_naive, grid_from_config,
                       voxel_ranks)
from .depth_loss import depth_bce_loss, depth_focal_loss, depth_to_onehot, downsample_gt_depth
from .depth_net import CameraAwareDepthNet, ResBlock2d
from .frustum import create_frustum, depth_bins, frustum_to_lidar, pad_to_4x4
from .lid import lid_bin_size, lid_bins, lid_index, lid_params
from .lid_lss import Conv2DCollapse, LIDDepthViewTransformer
from .lss import BEVDepthViewTransformer, LiftSplatViewTransformer

__all__ = [
    'bev_pool', 'bev_pool_depth', 'bev_pool_naive', 'voxel_ranks', 'bev_cell_of',
    'grid_from_config', 'create_frustum',
    'depth_bins', 'frustum_to_lidar', 'pad_to_4x4', 'downsample_gt_depth', 'depth_to_onehot',
    'depth_bce_loss', 'CameraAwareDepthNet', 'ResBlock2d', 'LiftSplatViewTransformer',
    'BEVDepthViewTransformer', 'depth_focal_loss', 'lid_bin_size', 'lid_bins', 'lid_index',
    'lid_params', 'LIDDepthViewTransformer', 'Conv2DCollapse'
]
