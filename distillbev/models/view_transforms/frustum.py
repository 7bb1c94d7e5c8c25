# Copyright (c) distillbev contributors. All rights reserved.
"""Frustum of an LSS view transformer and its geometry in the (augmented) LiDAR frame.

Conventions (see ``distillbev/datasets/transforms``): pixel ``(row, col)`` covers
``[col, col + 1) x [row, row + 1)`` in ``(u, v)``, its centre is ``(col + 0.5, row + 0.5)``, so a
stride-``s`` feature cell ``j`` is centred at ``s * j + s / 2``. ``img_aug_matrix`` maps an
original pixel ``(u, v, d, 1)`` to the augmented one, ``lidar_aug_matrix`` maps the original LiDAR
frame to the augmented LiDAR frame; ``cam2img`` (4x4 padded intrinsics) and ``cam2lidar``
describe the original sensors.
"""
from typing import Mapping, Sequence, Tuple, Union

import torch
from torch import Tensor

from distillbev.utils.geometry import pad_to_4x4
from .lid import lid_bins, lid_params

__all__ = ['depth_bins', 'create_frustum', 'frustum_to_lidar', 'pad_to_4x4']


def depth_bins(depth_cfg: Union[Sequence[float], Mapping]) -> Tensor:
    """Depths of the frustum planes: the lower edge of every depth bin.

    Args:
        depth_cfg (sequence | dict): ``[d_min, d_max, step]`` in metres, BEVDet's uniform bins
            ``d_min + k * step``, e.g. ``[1, 60, 1]`` (59 bins); or CaDDN's linear-increasing
            bins ``dict(mode='LID', min=2.0, max=46.8, num_bins=120)`` (lower edges ``e_k``,
            see :mod:`.lid`).

    Returns:
        Tensor: (D,) float32 with ``D = round((d_max - d_min) / step)`` (or ``num_bins``).
    """
    if isinstance(depth_cfg, Mapping):
        return lid_bins(*lid_params(depth_cfg))[:-1]
    d_min, d_max, step = (float(v) for v in depth_cfg)
    num = int(round((d_max - d_min) / step))
    if num <= 0:
        raise ValueError(f'depth config {list(depth_cfg)}: need d_max > d_min and step > 0.')
    return d_min + step * torch.arange(num, dtype=torch.float32)


def create_frustum(depth_cfg: Union[Sequence[float], Mapping], feat_size: Tuple[int, int],
                   stride: Tuple[float, float]) -> Tensor:
    """Frustum points ``(u, v, d)`` in the augmented image.

    Feature cell ``(i, j)`` at stride ``s`` covers pixels ``j * s .. (j + 1) * s - 1``, i.e.
    ``u`` in ``[j * s, (j + 1) * s)``; its centre is ``u = (j + 0.5) * s`` (pixel centres at
    ``+0.5``; the same patches as the depth targets).

    Args:
        depth_cfg (sequence | dict): see :func:`depth_bins`.
        feat_size (tuple): ``(h, w)`` of the image feature map.
        stride (tuple): ``(stride_h, stride_w)`` image pixels per feature cell.

    Returns:
        Tensor: (D, h, w, 3) float32, last dim ``(u, v, d)``.
    """
    h, w = feat_size
    depths = depth_bins(depth_cfg)
    us = (torch.arange(w, dtype=torch.float32) + 0.5) * float(stride[1])
    vs = (torch.arange(h, dtype=torch.float32) + 0.5) * float(stride[0])
    d, v, u = torch.meshgrid(depths, vs, us, indexing='ij')
    return torch.stack([u, v, d], dim=-1)


def frustum_to_lidar(frustum: Tensor, cam2img: Tensor, cam2lidar: Tensor,
                     img_aug_matrix: Tensor, lidar_aug_matrix: Tensor) -> Tensor:
    """Augmented-image frustum points -> augmented LiDAR frame.

    ``p = lidar_aug @ cam2lidar @ cam2img^-1 @ (u0 d0, v0 d0, d0, 1)`` with
    ``(u0, v0, d0, 1) = img_aug^-1 @ (u, v, d, 1)``. Computed in float64, returned in float32.

    Args:
        frustum (Tensor): (D, h, w, 3) ``(u, v, d)`` in the augmented image.
        cam2img (Tensor): (B, N, 4, 4) original intrinsics padded to 4x4 (3x3 also accepted).
        cam2lidar (Tensor): (B, N, 4, 4) original camera -> original LiDAR.
        img_aug_matrix (Tensor): (B, N, 4, 4) original pixel -> augmented pixel.
        lidar_aug_matrix (Tensor): (B, 4, 4) original LiDAR -> augmented LiDAR.

    Returns:
        Tensor: (B, N, D, h, w, 3) float32 xyz in the augmented LiDAR frame.
    """
    dtype = torch.float64
    batch, num_views = cam2lidar.shape[:2]
    cam2img = pad_to_4x4(cam2img).to(dtype)
    pts = frustum.to(dtype=dtype, device=cam2lidar.device)
    pts = torch.cat([pts, torch.ones_like(pts[..., :1])], dim=-1)  # (D, h, w, 4)
    img_aug_inv = torch.inverse(img_aug_matrix.to(dtype))  # (B, N, 4, 4)
    pts = torch.einsum('bnij,dhwj->bndhwi', img_aug_inv, pts)
    pts = torch.cat([pts[..., :2] * pts[..., 2:3], pts[..., 2:]], dim=-1)
    cam2lidar_aug = lidar_aug_matrix.to(dtype).view(batch, 1, 4, 4) @ cam2lidar.to(dtype)
    combine = cam2lidar_aug @ torch.inverse(cam2img)  # (B, N, 4, 4)
    pts = torch.einsum('bnij,bndhwj->bndhwi', combine, pts)
    return pts[..., :3].float()
