# Copyright (c) distillbev contributors. All rights reserved.
"""``bev_pool`` suite: the library's pooling against the Python-loop reference."""
import math
from typing import Any, Dict, List, Sequence, Union

import torch
from torch import Tensor

from distillbev.models.view_transforms import (bev_pool, bev_pool_naive, grid_from_config,
                                               voxel_ranks)
from distillbev.testing import pool_inputs
from .timing import time_fn

# bev_pool sizes: B, N, D, h, w, C, the grid and the image size of the camera ring
POOL_SCALES: Dict[str, Dict[str, Any]] = {
    'small': dict(B=1, N=2, D=20, h=8, w=22, C=16,
                  grid=dict(x=[-25.6, 25.6, 0.8], y=[-25.6, 25.6, 0.8], z=[-5.0, 3.0, 8.0],
                            depth=[1.0, 21.0, 1.0]), image=(128, 352)),
    # the R18 student of configs/students/*synthetic-nus-3d.py: 6 x 128x352, stride 16
    'synthetic': dict(B=1, N=6, D=39, h=8, w=22, C=32,
                      grid=dict(x=[-25.6, 25.6, 0.8], y=[-25.6, 25.6, 0.8], z=[-5.0, 3.0, 8.0],
                                depth=[1.0, 40.0, 1.0]), image=(128, 352)),
    # the R50 students of configs/students/*_nus-3d.py: 6 x 256x704, stride 16
    'nus': dict(B=1, N=6, D=59, h=16, w=44, C=64,
                grid=dict(x=[-51.2, 51.2, 0.8], y=[-51.2, 51.2, 0.8], z=[-5.0, 3.0, 8.0],
                          depth=[1.0, 60.0, 1.0]), image=(256, 704)),
}
PoolScale = Union[str, Dict[str, Any]]


def pool_spec(scale: PoolScale) -> Dict[str, Any]:
    """Sizes of a scale: a key of ``POOL_SCALES`` or a dict with the same fields (+ ``name``).

    Returns:
        dict: the fields of :data:`POOL_SCALES` plus ``name`` and the ``shape`` label.
    """
    spec = dict(POOL_SCALES[scale] if isinstance(scale, str) else scale)
    spec.setdefault('name', scale if isinstance(scale, str) else 'custom')
    spec['shape'] = (f"B{spec['B']} N{spec['N']} D{spec['D']} {spec['h']}x{spec['w']} "
                     f"C{spec['C']}")
    return spec


def size_args(spec: Dict[str, Any]) -> Dict[str, Any]:
    """The keyword arguments of :func:`~distillbev.testing.pool_inputs` in a spec."""
    return {k: spec[k] for k in ('B', 'N', 'D', 'h', 'w', 'C', 'grid', 'image')}


def naive_pool_grad(geom: Tensor, grad_out: Tensor, grid: dict) -> Tensor:
    """Reference backward of BEV pooling with a Python loop over points (CPU, slow).

    The gradient of a sum-pool w.r.t. a point's features is the output gradient at the point's
    cell (0 outside the grid). Autograd through :func:`bev_pool_naive` itself is unusable as a
    reference timing: each in-place ``+=`` of its loop saves a copy of the whole output, i.e.
    O(points x cells) work.

    Args:
        geom (Tensor): (B, ..., 3) xyz of the points.
        grad_out (Tensor): (B, C * nz, ny, nx) gradient of the BEV map.
        grid (dict): ``x``, ``y``, ``z`` as ``[min, max, step]``.

    Returns:
        Tensor: (B, ..., C) float32 gradient of the point features.
    """
    lower, interval, (nx, ny, nz) = grid_from_config(grid)
    lo, step = lower.tolist(), interval.tolist()
    batch = geom.shape[0]
    channels = grad_out.shape[1] // nz
    g = grad_out.double().reshape(batch, nz, channels, ny, nx)
    pts = geom.reshape(batch, -1, 3).double()
    out = torch.zeros(batch, pts.shape[1], channels, dtype=torch.float64)
    for b in range(batch):
        for p in range(pts.shape[1]):
            x, y, z = pts[b, p].tolist()
            ix = math.floor((x - lo[0]) / step[0])
            iy = math.floor((y - lo[1]) / step[1])
            iz = math.floor((z - lo[2]) / step[2])
            if 0 <= ix < nx and 0 <= iy < ny and 0 <= iz < nz:
                out[b, p] = g[b, iz, :, iy, ix]
    return out.reshape(*geom.shape[:-1], channels).float()


def bench_bev_pool(scales: Sequence[PoolScale], device: torch.device, warmup: int, iters: int,
                   naive_iters: int = 1, backward: bool = True) -> List[Dict[str, Any]]:
    """``bev_pool`` vs ``bev_pool_naive`` on the same inputs.

    The naive reference runs on CPU only (Python loop over points); its figures are CPU times
    even with ``--device cuda`` (the pool's are on ``device``).

    Args:
        scales (list): keys of ``POOL_SCALES`` (or dicts with the same fields).
        device (torch.device): device of :func:`bev_pool`.
        warmup (int): untimed iterations of :func:`bev_pool`.
        iters (int): timed iterations of :func:`bev_pool`.
        naive_iters (int): timed iterations of the reference (no warm-up: a warm-up is pointless
            for a Python loop and costs seconds).
        backward (bool): also time forward+backward (gradient w.r.t. the features).

    Returns:
        list[dict]: one row per (scale, pass) with ``t_pool``, ``t_naive`` (see
        :func:`~.timing.summarize`), ``speedup = t_naive.median / t_pool.median`` and
        ``max_abs_diff``.
    """
    rows = []
    for scale in scales:
        spec = pool_spec(scale)
        grid = spec['grid']
        feats, geom = pool_inputs(**size_args(spec), device=device)
        feats_cpu, geom_cpu = feats.cpu(), geom.cpu()
        ref = bev_pool_naive(feats_cpu, geom_cpu, grid)
        out = bev_pool(feats, geom, grid)
        common = dict(suite='bev_pool', scale=spec['name'], shape=spec['shape'],
                      points=geom.shape[:-1].numel(),
                      points_in_grid=int(voxel_ranks(geom_cpu, grid)[0].numel()),
                      bev=f'{out.shape[-2]}x{out.shape[-1]}', device=str(device))
        t_pool = time_fn(lambda: bev_pool(feats, geom, grid), warmup, iters, device)
        t_naive = time_fn(lambda: bev_pool_naive(feats_cpu, geom_cpu, grid), 0, naive_iters)
        rows.append(dict(common, **{'pass': 'fwd'}, t_pool=t_pool, t_naive=t_naive,
                         speedup=t_naive['median'] / t_pool['median'],
                         max_abs_diff=float((out.cpu() - ref).abs().max())))
        if not backward:
            continue
        grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
        g_dev = grad_out.to(device)

        def pool_fwd_bwd():
            f = feats.detach().requires_grad_(True)
            (bev_pool(f, geom, grid) * g_dev).sum().backward()
            return f.grad

        def naive_fwd_bwd():
            bev_pool_naive(feats_cpu, geom_cpu, grid)
            return naive_pool_grad(geom_cpu, grad_out, grid)

        grad = pool_fwd_bwd()
        grad_ref = naive_fwd_bwd()
        t_pool = time_fn(pool_fwd_bwd, warmup, iters, device)
        t_naive = time_fn(naive_fwd_bwd, 0, naive_iters)
        rows.append(dict(common, **{'pass': 'fwd+bwd'}, t_pool=t_pool, t_naive=t_naive,
                         speedup=t_naive['median'] / t_pool['median'],
                         max_abs_diff=float((grad.cpu() - grad_ref).abs().max())))
    return rows
