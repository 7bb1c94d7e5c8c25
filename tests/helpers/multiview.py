# Copyright (c) distillbev contributors. All rights reserved.
"""Synthetic multi-view batches with consistent geometry for model-level tests."""
import math
from typing import Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData

from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes


def ring_of_cameras(num_views: int = 6, focal: float = 280.0,
                    size: Tuple[int, int] = (128, 352)) -> Tuple[np.ndarray, np.ndarray]:
    """(cam2img, cam2lidar), each (N, 4, 4): cameras at the origin looking out every 360/N deg.

    Camera frame: x right, y down, z forward (optical axis in the LiDAR x-y plane).
    """
    height, width = size
    cams = []
    for i in range(num_views):
        yaw = 2 * math.pi * i / num_views
        m = np.eye(4, dtype=np.float32)
        m[:3, 0] = [math.sin(yaw), -math.cos(yaw), 0.0]
        m[:3, 1] = [0.0, 0.0, -1.0]
        m[:3, 2] = [math.cos(yaw), math.sin(yaw), 0.0]
        cams.append(m)
    k = np.eye(4, dtype=np.float32)
    k[0, 0] = k[1, 1] = focal
    k[0, 2], k[1, 2] = width / 2, height / 2
    return np.stack([k] * num_views), np.stack(cams)


def multiview_sample(boxes: Sequence[Sequence[float]] = ((8.0, -3.0, -1.0, 4.0, 1.8, 1.6, 0.2,
                                                          0.5, 0.0), ),
                     labels: Sequence[int] = (0, ), num_views: int = 6,
                     size: Tuple[int, int] = (128, 352), with_depth: bool = False,
                     num_points: int = 2000, seed: int = 0) -> Tuple[dict, Det3DDataSample]:
    """One sample: images (N, 3, H, W), LiDAR points (P, 5) and a data sample with all matrices.

    Returns:
        tuple: ``(inputs, data_sample)`` with ``inputs = dict(imgs=(N,3,H,W), points=(P,5))``.
    """
    rng = np.random.default_rng(seed)
    height, width = size
    cam2img, cam2lidar = ring_of_cameras(num_views, size=size)
    lidar2cam = np.linalg.inv(cam2lidar).astype(np.float32)
    eye = np.tile(np.eye(4, dtype=np.float32), (num_views, 1, 1))
    sample = Det3DDataSample(metainfo=dict(
        cam2img=cam2img, cam2lidar=cam2lidar, lidar2cam=lidar2cam, lidar2img=cam2img @ lidar2cam,
        img_aug_matrix=eye, lidar_aug_matrix=np.eye(4, dtype=np.float32),
        img_shape=[size] * num_views, box_type_3d=LiDARInstance3DBoxes))
    gt = InstanceData()
    gt.bboxes_3d = LiDARInstance3DBoxes(torch.tensor(boxes, dtype=torch.float32),
                                        box_dim=len(boxes[0]))
    gt.labels_3d = torch.tensor(labels)
    sample.gt_instances_3d = gt
    if with_depth:
        depth = torch.zeros(num_views, height, width)
        depth[:, ::7, ::9] = 12.0
        sample.gt_depth = depth
    xyz = np.c_[rng.uniform(-20, 20, (num_points, 2)), rng.uniform(-2, 1, (num_points, 1))]
    points = np.c_[xyz, rng.uniform(0, 1, (num_points, 1)), np.zeros((num_points, 1))]
    inputs = dict(imgs=torch.randn(num_views, 3, height, width),
                  points=torch.from_numpy(points.astype(np.float32)))
    return inputs, sample
