# Copyright (c) distillbev contributors. All rights reserved.
"""Synthetic multi-view batches with consistent geometry for model-level tests."""
from typing import List, Sequence, Tuple

import numpy as np
import torch
from mmdet3d.structures import Det3DDataSample

from distillbev.datasets.temporal import can_bus_delta
from distillbev.testing import camera_ring, multiview_data_sample


def ring_of_cameras(num_views: int = 6, focal: float = 280.0,
                    size: Tuple[int, int] = (128, 352)) -> Tuple[np.ndarray, np.ndarray]:
    """(cam2img, cam2lidar), each (N, 4, 4): cameras at the origin looking out every 360/N deg.

    Camera frame: x right, y down, z forward (optical axis in the LiDAR x-y plane).
    """
    rig = camera_ring(num_views, *size, focal=focal, mount_height=0.0)
    return rig['cam2img'], rig['cam2lidar']


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
    gt_depth = None
    if with_depth:
        gt_depth = torch.zeros(num_views, height, width)
        gt_depth[:, ::7, ::9] = 12.0
    rig = camera_ring(num_views, height, width, focal=280.0, mount_height=0.0)
    sample = multiview_data_sample(rig, boxes, labels, gt_depth, img_shape=[size] * num_views)
    xyz = np.c_[rng.uniform(-20, 20, (num_points, 2)), rng.uniform(-2, 1, (num_points, 1))]
    points = np.c_[xyz, rng.uniform(0, 1, (num_points, 1)), np.zeros((num_points, 1))]
    inputs = dict(imgs=torch.randn(num_views, 3, height, width),
                  points=torch.from_numpy(points.astype(np.float32)))
    return inputs, sample


def queue_can_bus(num_prev: int, step: float = 1.0, speed: float = 10.0) -> List[np.ndarray]:
    """The metainfo ``can_bus`` that ``TemporalFrames`` gives the current frame, then each of its
    ``num_prev`` previous frames (newest first), for an ego driving along global x with heading
    0 by ``step`` m per key frame (the ``curr2prev`` of a ``step`` m shift along x per frame):
    position delta ``(step, 0, 0)``, the oldest frame's 0."""
    stored = [np.r_[100.0 - step * i, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, [0.0] * 6, speed, 0.0, 0.0,
                    0.0, 0.0] for i in range(num_prev + 1)]
    return [can_bus_delta(stored[i], stored[i + 1] if i < num_prev else None)
            for i in range(num_prev + 1)]
