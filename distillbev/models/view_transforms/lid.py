# Copyright (c) distillbev contributors. All rights reserved.
"""Linear-increasing depth discretisation (LID) of CaDDN.

Reading et al., CVPR 2021, "Categorical Depth Distribution Network for Monocular 3D Object
Detection" (and CMKD's KITTI student, which keeps it): ``D`` bins over ``[d_min, d_max]`` whose
widths grow linearly, ``w_k = (k + 1) * bin_size`` with

    bin_size = 2 (d_max - d_min) / (D (D + 1)),

so bin ``k`` covers ``[e_k, e_{k+1})`` with edges ``e_k = d_min + bin_size * k (k + 1) / 2``
(``e_0 = d_min``, ``e_D = d_max``). The continuous index of a depth ``d`` inverts the edges:

    idx(d) = -0.5 + 0.5 * sqrt(1 + 8 (d - d_min) / bin_size),

its bin is ``floor(idx)``, and depths outside ``[d_min, d_max)`` (or not finite) go to the extra
"out of range" class ``D`` (CaDDN predicts ``D + 1`` depth classes).

A lift-splat frustum places its depth plane ``k`` at the lower edge ``e_k`` (the depth whose
continuous index is ``k``, where CaDDN's frustum-to-voxel sampling reads slot ``k``; the BEVDet
planes of :func:`.frustum.depth_bins` are lower edges too).
"""
from typing import Mapping, Tuple

import torch
from torch import Tensor


def lid_params(depth_cfg: Mapping) -> Tuple[float, float, int]:
    """``(d_min, d_max, D)`` of a LID depth config ``dict(mode='LID', min=, max=, num_bins=)``."""
    mode = str(depth_cfg.get('mode', 'LID')).upper()
    if mode != 'LID':
        raise ValueError(f'depth config {dict(depth_cfg)}: only mode="LID" is a dict config '
                         f'(uniform bins are written [d_min, d_max, step])')
    d_min, d_max, num = float(depth_cfg['min']), float(depth_cfg['max']), int(depth_cfg['num_bins'])
    if not (d_max > d_min and num > 0):
        raise ValueError(f'LID depth config {dict(depth_cfg)}: need max > min and num_bins > 0')
    return d_min, d_max, num


def lid_bin_size(d_min: float, d_max: float, num_bins: int) -> float:
    """The width of the first bin, ``2 (d_max - d_min) / (D (D + 1))``."""
    return 2.0 * (d_max - d_min) / (num_bins * (num_bins + 1))


def lid_bins(d_min: float, d_max: float, num_bins: int) -> Tensor:
    """The ``D + 1`` bin edges ``e_k = d_min + bin_size * k (k + 1) / 2``.

    Args:
        d_min (float): lower edge of bin 0 (CaDDN / CMKD: 2.0 m).
        d_max (float): upper edge of bin ``D - 1`` (CaDDN / CMKD: 46.8 m).
        num_bins (int): ``D`` (CaDDN: 80, CMKD's code: 120).

    Returns:
        Tensor: (D + 1,) float32, increasing, ``[d_min, ..., d_max]`` (computed in float64).
    """
    k = torch.arange(num_bins + 1, dtype=torch.float64)
    return (d_min + lid_bin_size(d_min, d_max, num_bins) * k * (k + 1) / 2).float()


def lid_index(depth: Tensor, d_min: float, d_max: float, num_bins: int,
              target: bool = False) -> Tensor:
    """The LID index of depths.

    Args:
        depth (Tensor): (...) depths in metres.
        d_min, d_max, num_bins: see :func:`lid_bins`.
        target (bool): False: the continuous index ``idx(d)`` (float32, may fall outside
            ``[0, D)``); True: the class, ``floor(idx)`` as int64, with ``D`` for depths outside
            ``[d_min, d_max)`` and non-finite ones (CaDDN's ``bin_depths(target=True)``).

    Returns:
        Tensor: same shape as ``depth``.
    """
    bin_size = lid_bin_size(d_min, d_max, num_bins)
    d = depth.double()
    idx = -0.5 + 0.5 * torch.sqrt((1 + 8 * (d - d_min) / bin_size).clamp(min=0))
    if not target:
        return idx.float()
    # floor(idx) computed against the float64 edges (exact at an edge, where sqrt round-off
    # could put idx a hair below an integer)
    k = torch.arange(num_bins + 1, dtype=torch.float64, device=d.device)
    edges = d_min + bin_size * k * (k + 1) / 2
    cls = torch.searchsorted(edges, d.contiguous(), right=True) - 1
    out = (d < d_min) | (d >= d_max) | ~torch.isfinite(d)
    cls = torch.where(out, torch.full_like(cls, num_bins), cls)
    return cls.long()


__all__ = ['lid_params', 'lid_bin_size', 'lid_bins', 'lid_index']
