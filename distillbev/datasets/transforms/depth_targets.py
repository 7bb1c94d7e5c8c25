# Copyright (c) distillbev contributors. All rights reserved.
"""Sparse LiDAR depth targets per augmented view (BEVDepth-style depth supervision)."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS
from .mv_geometry import nearest_depth_map, project_to_views


@TRANSFORMS.register_module()
class MultiViewDepthFromLiDAR(BaseTransform):
    """Project the LiDAR points into every augmented view and keep the nearest depth per pixel.

    Place it after the image and BEV augmentations (and after any point filtering you want the
    targets to respect). The points in ``results['points']`` are in the augmented LiDAR frame;
    each is mapped by ``inverse(lidar_aug_matrix)`` back to the original LiDAR frame, projected with
    the original ``lidar2img`` to ``(u, v, d)`` and moved by ``img_aug_matrix`` into the augmented
    image. Points with ``d > min_depth`` (and ``<= max_depth``) that fall inside the
    ``H x W`` image go to the pixel that contains them (``(floor(v), floor(u))``, pixel centres at
    ``+0.5``, see ``mv_geometry``).

    Writes ``results['gt_depth']``: float32 (N, H, W), depth in metres along the original camera
    axis (image resizing does not change it, LiDAR scaling is undone), 0 where no point falls.

    Args:
        min_depth (float): Minimum depth (the eps in front of the camera). Defaults to 1e-3.
        max_depth (float, optional): Drop farther points. Defaults to None.
        time_dim (int, optional): If given, use only the points whose value in this column is 0,
            i.e. the key-frame points after ``LoadPointsFromMultiSweeps`` (which writes the time
            lag into column 4), so moving objects are not smeared. None: all points.
            Defaults to None.
    """

    def __init__(self,
                 min_depth: float = 1e-3,
                 max_depth: Optional[float] = None,
                 time_dim: Optional[int] = None) -> None:
        self.min_depth = min_depth
        self.max_depth = max_depth
        self.time_dim = time_dim

    def transform(self, results: dict) -> dict:
        """Compute ``gt_depth``.

        Args:
            results (dict): Needs ``points``, ``img``, ``lidar2img``; optional
                ``img_aug_matrix``, ``lidar_aug_matrix``.

        Returns:
            dict: ``results`` with ``gt_depth``.
        """
        points = results['points']
        points = points.tensor.cpu().numpy() if hasattr(points, 'tensor') else np.asarray(points)
        if self.time_dim is not None:
            points = points[np.abs(points[:, self.time_dim]) < 1e-6]
        xyz = points[:, :3]
        imgs = results['img']
        uvd = project_to_views(xyz, results['lidar2img'], results.get('img_aug_matrix'),
                               results.get('lidar_aug_matrix'))
        maps = [nearest_depth_map(uvd[i], imgs[i].shape[:2], self.min_depth, self.max_depth)
                for i in range(len(imgs))]
        results['gt_depth'] = np.stack(maps, axis=0)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(min_depth={self.min_depth}, '
                f'max_depth={self.max_depth}, time_dim={self.time_dim})')
