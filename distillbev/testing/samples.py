# Copyright (c) distillbev contributors. All rights reserved.
"""Random model inputs on a :func:`~.cameras.camera_ring`: data samples, points, frustums."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .cameras import camera_ring


def multiview_data_sample(rig: Dict[str, np.ndarray], boxes: Sequence[Sequence[float]],
                          labels: Sequence[int], gt_depth: Optional[Tensor] = None,
                          **metainfo):
    """A ``Det3DDataSample`` with the rig's geometry metainfo and LiDAR-frame GT boxes.

    Args:
        rig (dict): geometry matrices, e.g. from :func:`~.cameras.camera_ring`.
        boxes (sequence): (M, 7 or 9) boxes ``x, y, z, dx, dy, dz, yaw[, vx, vy]``.
        labels (sequence[int]): (M,) class indices.
        gt_depth (Tensor, optional): (N, H, W) sparse LiDAR depth, 0 = no point.
        **metainfo: more metainfo (``img_shape``, ``pad_shape``, ``sample_idx`` ...).

    Returns:
        Det3DDataSample: with ``gt_instances_3d`` (``bboxes_3d``, ``labels_3d``) and, if given,
        ``gt_depth``; ``box_type_3d`` is ``LiDARInstance3DBoxes``.
    """
    from mmengine.structures import InstanceData

    from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
    sample = Det3DDataSample(metainfo=dict(rig, box_type_3d=LiDARInstance3DBoxes, **metainfo))
    gt = InstanceData()
    box_tensor = torch.tensor(boxes, dtype=torch.float32)
    gt.bboxes_3d = LiDARInstance3DBoxes(box_tensor, box_dim=box_tensor.shape[-1])
    gt.labels_3d = torch.tensor(labels)
    sample.gt_instances_3d = gt
    if gt_depth is not None:
        sample.gt_depth = gt_depth
    return sample


def lidar_points(num: int, point_cloud_range: Sequence[float], seed: int = 0) -> Tensor:
    """Random LiDAR points over a range.

    Args:
        num (int): number of points.
        point_cloud_range (sequence): ``x_min, y_min, z_min, x_max, y_max, z_max``.
        seed (int): numpy seed.

    Returns:
        Tensor: (num, 5) float32: x, y uniform over the range, z in [-2, 1] m, intensity in
        [0, 1], time 0.
    """
    rng = np.random.default_rng(seed)
    x0, y0, _, x1, y1, _ = point_cloud_range
    pts = np.c_[rng.uniform(x0, x1, num), rng.uniform(y0, y1, num), rng.uniform(-2.0, 1.0, num),
                rng.uniform(0.0, 1.0, num), np.zeros(num)]
    return torch.from_numpy(pts.astype(np.float32))


def frustum_geometry(B: int, N: int, h: int, w: int, grid: dict,
                     image: Sequence[int]) -> Tensor:
    """LiDAR xyz of the frustum points of a camera ring (``grid['depth']`` gives the bins).

    Args:
        B (int): batch size. N (int): views. h, w (int): feature map size.
        grid (dict): ``depth`` as ``[d_min, d_max, step]`` (and the BEV axes, unused here).
        image (sequence[int]): ``(H, W)`` of the images; the stride is ``H / h``, ``W / w``.

    Returns:
        Tensor: (B, N, D, h, w, 3) float32.
    """
    from distillbev.models.view_transforms import create_frustum, frustum_to_lidar
    rig = camera_ring(N, *image)
    frustum = create_frustum(grid['depth'], (h, w), (image[0] / h, image[1] / w))

    def batched(key):
        return torch.from_numpy(rig[key]).unsqueeze(0).expand(B, *rig[key].shape)

    return frustum_to_lidar(frustum, batched('cam2img'), batched('cam2lidar'),
                            batched('img_aug_matrix'), batched('lidar_aug_matrix'))


def pool_inputs(B: int, N: int, D: int, h: int, w: int, C: int, grid: dict,
                image: Sequence[int], seed: int = 0,
                device: torch.device = torch.device('cpu')) -> Tuple[Tensor, Tensor]:
    """Random frustum features and their LiDAR xyz (camera ring geometry) for ``bev_pool``.

    Args:
        B, N, D, h, w, C (int): batch, views, depth bins (must match ``grid['depth']``),
            feature height and width, channels.
        grid (dict): ``x``, ``y``, ``z``, ``depth`` as ``[min, max, step]``.
        image (sequence[int]): ``(H, W)`` of the images.
        seed (int): torch seed of the features.
        device (torch.device): where the tensors go.

    Returns:
        tuple: ``feats`` (B, N, D, h, w, C) float32 standard normal, ``geom``
        (B, N, D, h, w, 3).
    """
    gen = torch.Generator().manual_seed(seed)
    geom = frustum_geometry(B, N, h, w, grid, image)
    feats = torch.randn(B, N, D, h, w, C, generator=gen)
    return feats.to(device), geom.to(device)


def lift_inputs(B: int, N: int, D: int, h: int, w: int, C: int, grid: dict,
                image: Sequence[int], seed: int = 0,
                device: torch.device = torch.device('cpu')) -> Tuple[Tensor, Tensor, Tensor]:
    """Random depth distributions, context features and frustum xyz, as a LSS view transformer.

    Args: as :func:`pool_inputs`.

    Returns:
        tuple: ``depth`` (B, N, D, h, w) softmax over D, ``context`` (B, N, h, w, C) standard
        normal, ``geom`` (B, N, D, h, w, 3); float32.
    """
    gen = torch.Generator().manual_seed(seed)
    geom = frustum_geometry(B, N, h, w, grid, image)
    depth = torch.randn(B, N, D, h, w, generator=gen).softmax(2)
    context = torch.randn(B, N, h, w, C, generator=gen)
    return depth.to(device), context.to(device), geom.to(device)
