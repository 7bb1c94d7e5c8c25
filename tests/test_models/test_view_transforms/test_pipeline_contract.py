# Copyright (c) distillbev contributors. All rights reserved.
"""The view transformer lifts exactly what the data pipeline projects (geometry contract)."""
import math

import numpy as np
import pytest
import torch

pytest.importorskip('mmcv.ops')

from distillbev.datasets.transforms import image_aug_matrix, project_to_views  # noqa: E402
from distillbev.models.view_transforms import frustum_to_lidar  # noqa: E402


def test_lift_inverts_pipeline_projection():
    rng = np.random.default_rng(0)
    yaw = 0.4
    cam2lidar = np.eye(4)
    cam2lidar[:3, 0] = [math.sin(yaw), -math.cos(yaw), 0.0]
    cam2lidar[:3, 1] = [0.0, 0.0, -1.0]
    cam2lidar[:3, 2] = [math.cos(yaw), math.sin(yaw), 0.0]
    cam2lidar[:3, 3] = [1.5, 0.2, 1.6]
    k = np.eye(4)
    k[0, 0], k[1, 1], k[0, 2], k[1, 2] = 1266.0, 1266.0, 816.0, 491.0
    lidar2img = (k @ np.linalg.inv(cam2lidar))[None]
    img_aug = image_aug_matrix(0.47, (30.0, 170.0), True, 4.0, (256, 704))[None]
    b = 0.3
    lidar_aug = np.diag([1.0, -1.0, 1.0, 1.0]) @ np.array(
        [[1.02 * math.cos(b), -1.02 * math.sin(b), 0, 0],
         [1.02 * math.sin(b), 1.02 * math.cos(b), 0, 0], [0, 0, 1.02, 0], [0, 0, 0, 1]])
    # points in front of the camera, in the augmented frame
    depth = rng.uniform(2.0, 50.0, 20)
    orig = cam2lidar @ np.stack([rng.uniform(-0.5, 0.5, 20) * depth,
                                 rng.uniform(-0.2, 0.2, 20) * depth, depth, np.ones(20)])
    points = (lidar_aug @ orig)[:3].T
    uvd = project_to_views(points, lidar2img, img_aug, lidar_aug)[0]  # (P, 3)
    geom = frustum_to_lidar(
        torch.from_numpy(uvd).float().view(20, 1, 1, 3),
        torch.from_numpy(k).float()[None, None], torch.from_numpy(cam2lidar).float()[None, None],
        torch.from_numpy(img_aug).float()[None], torch.from_numpy(lidar_aug).float()[None])
    torch.testing.assert_close(geom.view(20, 3).double(), torch.from_numpy(points),
                               atol=2e-3, rtol=1e-4)
