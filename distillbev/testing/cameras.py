# Copyright (c) distillbev contributors. All rights reserved.
"""A nuScenes-like surround rig of pinhole cameras, with all the geometry metainfo matrices."""
import math
from typing import Dict, Optional

import numpy as np


def camera_ring(num_views: int, height: int, width: int, focal: Optional[float] = None,
                mount_height: float = 1.5) -> Dict[str, np.ndarray]:
    """``num_views`` cameras evenly spread in yaw, ``mount_height`` metres above the LiDAR.

    Camera axes: x right, y down, z forward; view ``i`` looks along yaw ``2 pi i / N`` in the
    LiDAR frame (optical axis in the LiDAR x-y plane). No augmentation (identity
    ``img_aug_matrix`` and ``lidar_aug_matrix``).

    Args:
        num_views (int): N, number of cameras.
        height (int): image height in pixels (principal point at ``height / 2``).
        width (int): image width in pixels (principal point at ``width / 2``).
        focal (float, optional): focal length in pixels; default ``0.79 * width`` (nuScenes:
            1266 px at 1600 px).
        mount_height (float): z of the camera centres in the LiDAR frame (metres).

    Returns:
        dict: ``cam2img``, ``cam2lidar``, ``lidar2cam``, ``lidar2img``, ``img_aug_matrix``
        (N, 4, 4) and ``lidar_aug_matrix`` (4, 4), float32 numpy arrays.
    """
    cam2lidar = []
    for i in range(num_views):
        yaw = 2 * math.pi * i / num_views
        c, s = math.cos(yaw), math.sin(yaw)
        m = np.eye(4, dtype=np.float32)
        m[:3, 0], m[:3, 1], m[:3, 2] = [s, -c, 0.0], [0.0, 0.0, -1.0], [c, s, 0.0]
        m[:3, 3] = [0.0, 0.0, mount_height]
        cam2lidar.append(m)
    cam2lidar = np.stack(cam2lidar)
    k = np.eye(4, dtype=np.float32)
    k[0, 0] = k[1, 1] = 0.79 * width if focal is None else focal
    k[0, 2], k[1, 2] = width / 2, height / 2
    cam2img = np.stack([k] * num_views)
    lidar2cam = np.linalg.inv(cam2lidar).astype(np.float32)
    return dict(cam2img=cam2img, cam2lidar=cam2lidar, lidar2cam=lidar2cam,
                lidar2img=(cam2img @ lidar2cam).astype(np.float32),
                img_aug_matrix=np.tile(np.eye(4, dtype=np.float32), (num_views, 1, 1)),
                lidar_aug_matrix=np.eye(4, dtype=np.float32))
