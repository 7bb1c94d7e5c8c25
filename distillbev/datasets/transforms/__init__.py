# Copyright (c) distillbev contributors. All rights reserved.
"""Multi-view data pipeline shared by the camera students and the LiDAR teacher.

Conventions (see also ``docs/CONVENTIONS.md``):

- Images are decoded **BGR** by default (``channel_order='bgr'``, like the stock loader): use
  ``Det3DDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
  bgr_to_rgb=True)``. With ``channel_order='rgb'`` set ``bgr_to_rgb=False`` instead.
- Pixel coordinates: pixel ``(row, col)`` covers ``[col, col + 1) x [row, row + 1)`` in
  ``(u, v)``, centre ``(col + 0.5, row + 0.5)`` (a point falls in ``(floor(v), floor(u))``; the
  image spans ``[0, W] x [0, H]``; a stride-16 feature cell ``j`` is centred at ``16 j + 8``).
- ``cam2img``, ``lidar2cam``, ``cam2lidar``, ``lidar2img`` (N, 4, 4) describe the original,
  un-augmented sensors; ``lidar2img`` maps ``(x, y, z, 1)`` to ``(u d, v d, d, 1)``.
- ``img_aug_matrix`` (N, 4, 4): ``(u, v, d, 1)`` in the original view -> the same in the augmented
  view (``augmented = M @ original``; depth unchanged).
- ``lidar_aug_matrix`` (4, 4): original LiDAR frame -> augmented frame
  (``new = M @ [x, y, z, 1]``); ``points`` and ``gt_bboxes_3d`` are already in the augmented frame.
  Hence an augmented pixel ``(u', v')`` at depth ``d`` is the augmented LiDAR point
  ``lidar_aug_matrix @ cam2lidar @ inv(cam2img) @ [u d, v d, d, 1]`` with
  ``(u, v, d, 1) = inv(img_aug_matrix) @ (u', v', d, 1)``.
- Image rotation is in degrees (counter-clockwise as displayed); BEV rotation in radians
  (counter-clockwise seen from above, mmdet3d's convention).

Example (nuScenes, 6 views of 900x1600 -> 256x704, sizes divisible by 32)::

    point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
    class_names = ['car', 'truck', 'construction_vehicle', 'bus', 'trailer', 'barrier',
                   'motorcycle', 'bicycle', 'pedestrian', 'traffic_cone']
    backend_args = None
    train_pipeline = [
        dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
             backend_args=backend_args),
        dict(type='LoadPointsFromMultiSweeps', sweeps_num=9, use_dim=[0, 1, 2, 3, 4],
             pad_empty_sweeps=True, remove_close=True, backend_args=backend_args),
        dict(type='LoadMultiViewImagesWithCalib', num_views=6, channel_order='bgr',
             backend_args=backend_args),
        dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True,
             with_attr_label=False),
        dict(type='MultiViewImageAffineAug', final_size=(256, 704), resize_lim=(0.386, 0.55),
             bot_pct_lim=(0.0, 0.0), rot_lim=(-5.4, 5.4), flip_prob=0.5),
        dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05),
             flip_x_prob=0.5, flip_y_prob=0.5),
        dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
        dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
        dict(type='ObjectNameFilter', classes=class_names),
        # key-frame points only (column 4 = time lag after LoadPointsFromMultiSweeps)
        dict(type='MultiViewDepthFromLiDAR', min_depth=1e-3, time_dim=4),
        dict(type='PointShuffle'),
        dict(type='PackMultiViewDet3DInputs',
             keys=['points', 'img', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
    ]
    test_pipeline = [
        dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5,
             backend_args=backend_args),
        dict(type='LoadPointsFromMultiSweeps', sweeps_num=9, use_dim=[0, 1, 2, 3, 4],
             pad_empty_sweeps=True, remove_close=True, test_mode=True,
             backend_args=backend_args),
        dict(type='LoadMultiViewImagesWithCalib', num_views=6, channel_order='bgr',
             backend_args=backend_args),
        # resize to fit (0.44 for 900x1600 -> 396x704), keep the bottom 256 rows
        dict(type='MultiViewImageAffineAug', final_size=(256, 704), test_mode=True),
        dict(type='GlobalBEVAug3D', test_mode=True),  # identity lidar_aug_matrix
        dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
        dict(type='PackMultiViewDet3DInputs', keys=['points', 'img']),
    ]
    data_preprocessor = dict(
        type='Det3DDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32)
    # -> inputs['imgs'] (B, N, 3, 256, 704) RGB-normalised, inputs['points'] list of (P, 5);
    #    data_samples[i].gt_depth (N, 256, 704), data_samples[i].metainfo['img_aug_matrix'], ...
    # The dataset needs modality=dict(use_lidar=True, use_camera=True) and
    # data_prefix=dict(pts='samples/LIDAR_TOP', sweeps='sweeps/LIDAR_TOP',
    #                  CAM_FRONT='samples/CAM_FRONT', ...) for the six cameras.

A camera-only student drops the point loaders and ``MultiViewDepthFromLiDAR`` (BEVDet) or keeps
them for the depth targets only (BEVDepth: pack ``keys=['img', 'gt_bboxes_3d', 'gt_labels_3d',
'gt_depth']``).
"""
from .bev_aug import GlobalBEVAug3D
from .depth_image import LoadKittiDepthImage, lidar_depth_image
from .depth_image_input import DepthImageInput, PackDepthImageInputs
from .depth_targets import MultiViewDepthFromLiDAR
from .formatting import MULTIVIEW_META_KEYS, PackMultiViewDet3DInputs
from .image_aug import MultiViewImageAffineAug
from .loading import LoadMultiViewImagesWithCalib
from .mono_aug import MonoAffineAug
from .sample_guard import BadSampleError, BadSampleGuard
from .smoke_meta import MonoAffineSMOKEMeta
from .mv_geometry import (cv2_affine, image_aug_matrix, nearest_depth_map, pad_to_4x4,
                          project_to_views)

__all__ = [
    'BadSampleGuard', 'BadSampleError', 'LoadKittiDepthImage', 'lidar_depth_image',
    'MonoAffineAug', 'DepthImageInput', 'PackDepthImageInputs', 'MonoAffineSMOKEMeta',
    'LoadMultiViewImagesWithCalib', 'MultiViewImageAffineAug', 'GlobalBEVAug3D',
    'MultiViewDepthFromLiDAR', 'PackMultiViewDet3DInputs', 'MULTIVIEW_META_KEYS',
    'cv2_affine', 'image_aug_matrix', 'nearest_depth_map', 'pad_to_4x4', 'project_to_views'
]
