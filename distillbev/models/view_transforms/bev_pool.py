# Copyright (c) distillbev contributors. All rights reserved.
"""Pure-PyTorch BEV pooling ("splat") of lifted frustum features.

Layout contract (same as mmdet3d ``CenterHead`` / ``PointPillarsScatter``): the output is
``(B, C, Y, X)`` with row = y, column = x, row 0 at ``y_min`` (``point_cloud_range[1]``) and
column 0 at ``x_min``. A point ``(x, y, z)`` falls in cell
``(floor((y - y_min) / dy), floor((x - x_min) / dx))``; points outside the grid are dropped.
"""
import math
from typing import Dict, Sequence, Tuple, Union

import torch
from torch import Tensor

from ...structures.bev_grid import BEVGrid
from .splat import depth_context_pool, pool_points

GridConfig = Dict[str, Sequence[float]]


def grid_from_config(grid_config: GridConfig) -> Tuple[Tensor, Tensor, Tuple[int, int, int]]:
    """Lower corner, cell size and cell counts of a BEVDet-style grid config.

    Parsed by the one grid parser, :meth:`distillbev.structures.BEVGrid.from_grid_config`.

    Args:
        grid_config (dict): ``x``, ``y``, ``z`` entries ``[min, max, step]`` in metres (LiDAR
            frame), e.g. ``dict(x=[-51.2, 51.2, 0.8], y=[-51.2, 51.2, 0.8], z=[-5, 3, 8])``.

    Returns:
        tuple: ``lower`` (3,) float64 tensor, ``interval`` (3,) float64 tensor and the cell
        counts ``(nx, ny, nz)``.
    """
    grid = BEVGrid.from_grid_config(grid_config)
    return (torch.tensor([grid.x_min, grid.y_min, grid.z_min], dtype=torch.float64),
            torch.tensor([grid.cell_x, grid.cell_y, grid.cell_z], dtype=torch.float64),
            (grid.num_x, grid.num_y, grid.num_z))


def voxel_ranks(geom: Tensor,
                grid_config: GridConfig) -> Tuple[Tensor, Tensor, Tuple[int, int, int]]:
    """Flat cell index ``((b * nz + z) * ny + y) * nx + x`` of every frustum point.

    Args:
        geom (Tensor): (B, ..., 3) LiDAR xyz of the points.
        grid_config (dict): see :func:`grid_from_config`.

    Returns:
        tuple: ``ranks`` (P,) int64 of the kept points, ``keep`` (B * ...,) bool mask over the
        flattened points, and ``(nx, ny, nz)``.
    """
    lower, interval, (nx, ny, nz) = grid_from_config(grid_config)
    batch = geom.shape[0]
    pts = geom.reshape(batch, -1, 3)
    # Compute the cell in float64 so a point exactly on a cell border is binned reproducibly.
    idx = torch.floor((pts.double() - lower.to(pts.device)) / interval.to(pts.device)).long()
    ix, iy, iz = idx.unbind(-1)
    keep = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny) & (iz >= 0) & (iz < nz)
    b = torch.arange(batch, device=geom.device).view(batch, 1).expand_as(ix)
    ranks = ((b * nz + iz) * ny + iy) * nx + ix
    return ranks.reshape(-1)[keep.reshape(-1)], keep.reshape(-1), (nx, ny, nz)


def _to_bev(cells: Tensor, batch: int, nx: int, ny: int, nz: int) -> Tensor:
    """(B * nz * ny * nx, C) -> (B, nz * C, ny, nx) with channel index ``z * C + c``."""
    channels = cells.shape[-1]
    bev = cells.view(batch, nz, ny, nx, channels).permute(0, 1, 4, 2, 3)
    return bev.reshape(batch, nz * channels, ny, nx).contiguous()


def bev_pool(feats: Tensor, geom: Tensor, grid_config: GridConfig) -> Tensor:
    """Sum the features of the frustum points that fall in each BEV cell (deterministic).

    The kept points are summed per cell with :func:`~.splat.pool_points` (``index_add`` on CPU,
    stable sort + prefix sum elsewhere). Pooling runs in fp32 (fp16/bf16 inputs are promoted)
    and is differentiable w.r.t. ``feats``. A lift-splat view transformer should call
    :func:`bev_pool_depth` instead, which never builds the (B, N, D, h, w, C) product.

    Args:
        feats (Tensor): (B, N, D, h, w, C) features of the frustum points (any leading shape
            ``(B, ...)`` matching ``geom``).
        geom (Tensor): (B, N, D, h, w, 3) xyz of the points in the (augmented) LiDAR frame.
        grid_config (dict): ``x``, ``y``, ``z`` as ``[min, max, step]``.

    Returns:
        Tensor: (B, C * nz, ny, nx) float32 BEV map, row = y, column = x, channel ``z * C + c``
        (with ``nz = 1``, as BEVDet, simply (B, C, Y, X)). Cells that receive no point are 0.
    """
    batch, channels = feats.shape[0], feats.shape[-1]
    if geom.shape[:-1] != feats.shape[:-1] or geom.shape[-1] != 3:
        raise ValueError(f'bev_pool: geom {tuple(geom.shape)} must be feats '
                         f'{tuple(feats.shape)} with the last dim replaced by 3.')
    ranks, keep, (nx, ny, nz) = voxel_ranks(geom, grid_config)
    flat = feats.reshape(-1, channels)[keep].float()
    cells = pool_points(flat, ranks, batch * nz * ny * nx)
    return _to_bev(cells, batch, nx, ny, nz)


def bev_pool_depth(depth: Tensor, context: Tensor, geom: Tensor,
                   grid_config: GridConfig) -> Tensor:
    """Lift-splat pooling from depth and context, without the (B, N, D, h, w, C) product.

    Equal to ``bev_pool(depth[..., None] * context[:, :, None], geom, grid_config)``: each
    frustum point ``(b, n, d, i, j)`` adds ``depth[b, n, d, i, j] * context[b, n, i, j]`` to its
    cell (BEVPoolv2-style: depth and context are indexed separately). Deterministic;
    differentiable w.r.t. ``depth`` and ``context``; fp32.

    Args:
        depth (Tensor): (B, N, D, h, w) depth weights (e.g. softmax probabilities).
        context (Tensor): (B, N, h, w, C) context features of the pixels.
        geom (Tensor): (B, N, D, h, w, 3) xyz of the frustum points (augmented LiDAR frame).
        grid_config (dict): ``x``, ``y``, ``z`` as ``[min, max, step]``.

    Returns:
        Tensor: (B, C * nz, ny, nx) float32 BEV map, as :func:`bev_pool`.
    """
    batch, num_views, num_bins, h, w = depth.shape
    channels = context.shape[-1]
    if (tuple(context.shape[:-1]) != (batch, num_views, h, w)
            or tuple(geom.shape) != (batch, num_views, num_bins, h, w, 3)):
        raise ValueError(f'bev_pool_depth: depth {tuple(depth.shape)} (B, N, D, h, w) needs '
                         f'context (B, N, h, w, C) and geom (B, N, D, h, w, 3); got '
                         f'{tuple(context.shape)} and {tuple(geom.shape)}.')
    ranks, keep, (nx, ny, nz) = voxel_ranks(geom, grid_config)
    pixels = torch.arange(batch * num_views * h * w, device=depth.device)
    pix = pixels.view(batch, num_views, 1, h, w).expand_as(depth).reshape(-1)[keep]
    weights = depth.reshape(-1)[keep].float()
    cells = depth_context_pool(weights, context.reshape(-1, channels).float(), ranks, pix,
                               batch * nz * ny * nx)
    return _to_bev(cells, batch, nx, ny, nz)


def bev_pool_naive(feats: Tensor, geom: Tensor, grid_config: GridConfig) -> Tensor:
    """Reference BEV pooling with a Python loop over points (tests only; slow).

    Args and Returns: as :func:`bev_pool`.
    """
    batch, channels = feats.shape[0], feats.shape[-1]
    lower, interval, (nx, ny, nz) = grid_from_config(grid_config)
    out = torch.zeros(batch, nz, channels, ny, nx, dtype=torch.float64)
    pts = geom.reshape(batch, -1, 3).double()
    vals = feats.reshape(batch, -1, channels).double()
    for b in range(batch):
        for p in range(pts.shape[1]):
            x, y, z = pts[b, p].tolist()
            ix = math.floor((x - lower[0].item()) / interval[0].item())
            iy = math.floor((y - lower[1].item()) / interval[1].item())
            iz = math.floor((z - lower[2].item()) / interval[2].item())
            if 0 <= ix < nx and 0 <= iy < ny and 0 <= iz < nz:
                out[b, iz, :, iy, ix] += vals[b, p]
    return out.reshape(batch, nz * channels, ny, nx).float()


def bev_cell_of(xy: Union[Sequence[float], Tensor],
                grid_config: GridConfig) -> Tuple[int, int]:
    """(row, col) of the BEV cell containing LiDAR point ``(x, y)``: row = y index, col = x.

    Args:
        xy (sequence): ``(x, y)`` in metres.
        grid_config (dict): see :func:`grid_from_config`.

    Returns:
        tuple: ``(row, col)`` ints (may be outside the grid).
    """
    lower, interval, _ = grid_from_config(grid_config)
    x, y = float(xy[0]), float(xy[1])
    col = math.floor((x - lower[0].item()) / interval[0].item())
    row = math.floor((y - lower[1].item()) / interval[1].item())
    return row, col
