# Copyright (c) distillbev contributors. All rights reserved.
"""``bev_pool_peers`` suite: lift-splat pooling variants in plain PyTorch, side by side.

Every variant maps ``depth`` (B, N, D, h, w), ``context`` (B, N, h, w, C) and the frustum
``geom`` (B, N, D, h, w, 3) to the (B, C * nz, ny, nx) BEV map of ``depth x context``:

- ``outer+sort_prefix_sum``: outer product, stable sort by cell, float64 prefix sum (the former
  ``bev_pool``; now its path off the CPU, where ``index_add_`` is not deterministic);
- ``outer+index_add`` / ``outer+scatter_add``: outer product, ``index_add_`` / ``scatter_add_``
  on the kept points (``bev_pool`` on CPU is ``outer+index_add`` without the product);
- ``gather+index_add``: BEVPoolv2-style indexing of depth and context per kept point (no
  (B, N, D, h, w, C) product, but a (P, C) gather), then ``index_add_``;
- ``bev_pool_depth``: the library's choice: a sparse (cells x pixels) depth matrix times the
  (pixels, C) context; neither product is built.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from distillbev.models.view_transforms import bev_pool_depth, bev_pool_naive, voxel_ranks
from distillbev.models.view_transforms.splat import index_add_pool, sorted_segment_pool
from distillbev.testing import lift_inputs
from .pool_suite import PoolScale, naive_pool_grad, pool_spec, size_args
from .timing import time_fn

Pooler = Callable[[Tensor, Tensor, Tensor, dict], Tensor]


def _kept_points(depth: Tensor, geom: Tensor, grid: dict) -> Tuple[Tensor, Tensor, Tensor, tuple]:
    """Cell, keep mask and pixel index (row of the (B*N*h*w, C) context) of the points."""
    batch, num_views, _, h, w = depth.shape
    ranks, keep, dims = voxel_ranks(geom, grid)
    pixels = torch.arange(batch * num_views * h * w, device=depth.device)
    pix = pixels.view(batch, num_views, 1, h, w).expand_as(depth).reshape(-1)[keep]
    return ranks, keep, pix, dims


def _to_bev(cells: Tensor, batch: int, dims: tuple) -> Tensor:
    nx, ny, nz = dims
    bev = cells.view(batch, nz, ny, nx, -1).permute(0, 1, 4, 2, 3)
    return bev.reshape(batch, -1, ny, nx)


def _outer_pool(pool: Callable[[Tensor, Tensor, int], Tensor]) -> Pooler:
    """A variant that builds the (B, N, D, h, w, C) product, then pools the kept rows."""

    def pooler(depth: Tensor, context: Tensor, geom: Tensor, grid: dict) -> Tensor:
        ranks, keep, _, dims = _kept_points(depth, geom, grid)
        feats = depth.unsqueeze(-1) * context.unsqueeze(2)
        flat = feats.reshape(-1, context.shape[-1])[keep]
        return _to_bev(pool(flat, ranks, depth.shape[0] * dims[0] * dims[1] * dims[2]),
                       depth.shape[0], dims)

    return pooler


def scatter_add_pool(values: Tensor, ranks: Tensor, num_cells: int) -> Tensor:
    """Per-cell sum with ``scatter_add`` and an expanded index: (P, C) -> (num_cells, C)."""
    index = ranks.unsqueeze(1).expand(-1, values.shape[1])
    return values.new_zeros(num_cells, values.shape[1]).scatter_add(0, index, values)


def gather_index_add(depth: Tensor, context: Tensor, geom: Tensor, grid: dict) -> Tensor:
    """BEVPoolv2-style: per kept point ``depth[p] * context[pix[p]]``, then ``index_add``."""
    ranks, keep, pix, dims = _kept_points(depth, geom, grid)
    rows = depth.reshape(-1)[keep].unsqueeze(1) * context.reshape(-1, context.shape[-1])[pix]
    return _to_bev(index_add_pool(rows, ranks, depth.shape[0] * dims[0] * dims[1] * dims[2]),
                   depth.shape[0], dims)


VARIANTS: Dict[str, Pooler] = {
    'outer+sort_prefix_sum': _outer_pool(sorted_segment_pool),
    'outer+index_add': _outer_pool(index_add_pool),
    'outer+scatter_add': _outer_pool(scatter_add_pool),
    'gather+index_add': gather_index_add,
    'bev_pool_depth': bev_pool_depth,
}
BASELINE = 'outer+sort_prefix_sum'


def naive_lift_pool(depth: Tensor, context: Tensor, geom: Tensor, grid: dict,
                    grad_out: Optional[Tensor] = None) -> Tuple[Tensor, ...]:
    """Python-loop reference: BEV map and gradients w.r.t. depth and context (CPU, float32).

    Args:
        depth (Tensor): (B, N, D, h, w). context (Tensor): (B, N, h, w, C).
        geom (Tensor): (B, N, D, h, w, 3). grid (dict): the BEV grid.
        grad_out (Tensor, optional): (B, C * nz, ny, nx) gradient of the BEV map.

    Returns:
        tuple: ``bev`` (B, C * nz, ny, nx) and, with ``grad_out``, ``grad_depth``
        (B, N, D, h, w) and ``grad_context`` (B, N, h, w, C).
    """
    depth, context, geom = depth.cpu().double(), context.cpu().double(), geom.cpu()
    bev = bev_pool_naive(depth.unsqueeze(-1) * context.unsqueeze(2), geom, grid)
    if grad_out is None:
        return (bev, )
    grad_feats = naive_pool_grad(geom, grad_out.cpu(), grid).double()
    grad_depth = (grad_feats * context.unsqueeze(2)).sum(-1)
    grad_context = (grad_feats * depth.unsqueeze(-1)).sum(2)
    return bev, grad_depth.float(), grad_context.float()


def run_variant(pooler: Pooler, depth: Tensor, context: Tensor, geom: Tensor, grid: dict,
                grad_out: Optional[Tensor] = None) -> Tuple[Tensor, ...]:
    """One forward (and, with ``grad_out``, backward) pass of a variant.

    Returns:
        tuple: ``(bev,)`` or ``(bev, grad_depth, grad_context)``.
    """
    if grad_out is None:
        with torch.no_grad():
            return (pooler(depth, context, geom, grid), )
    d = depth.detach().requires_grad_(True)
    c = context.detach().requires_grad_(True)
    bev = pooler(d, c, geom, grid)
    (bev * grad_out).sum().backward()
    return bev.detach(), d.grad, c.grad


def bench_bev_pool_peers(scales: Sequence[PoolScale], device: torch.device, warmup: int,
                         iters: int, backward: bool = True,
                         variants: Sequence[str] = tuple(VARIANTS)) -> List[Dict[str, Any]]:
    """Time the pooling variants on the same lift inputs; check them against the reference.

    Args:
        scales (list): keys of ``POOL_SCALES`` (or dicts with the same fields).
        device (torch.device): device of the variants (the reference runs on CPU).
        warmup (int): untimed iterations. iters (int): timed iterations.
        backward (bool): also time forward + backward (gradients w.r.t. depth and context).
        variants (sequence[str]): keys of :data:`VARIANTS`.

    Returns:
        list[dict]: one row per (scale, pass, variant): ``t`` (see :func:`~.timing.summarize`),
        ``speedup`` over :data:`BASELINE` (if timed), ``max_abs_diff`` to the Python-loop
        reference (BEV map; with backward also both gradients) and ``deterministic`` (two runs
        give the same bits).
    """
    rows = []
    for scale in scales:
        spec = pool_spec(scale)
        grid = spec['grid']
        size = size_args(spec)
        depth, context, geom = lift_inputs(**size, device=device)
        out_shape = run_variant(bev_pool_depth, depth, context, geom, grid)[0].shape
        grad_out = (torch.randn(out_shape, generator=torch.Generator().manual_seed(1))
                    if backward else None)
        ref = naive_lift_pool(depth, context, geom, grid, grad_out)
        passes = [('fwd', None)] + ([('fwd+bwd', grad_out.to(device))] if backward else [])
        common = dict(suite='bev_pool_peers', scale=spec['name'], shape=spec['shape'],
                      points=geom.shape[:-1].numel(),
                      points_in_grid=int(voxel_ranks(geom, grid)[0].numel()), device=str(device))
        for name, g in passes:
            timed = {}
            for variant in variants:
                pooler = VARIANTS[variant]
                first = run_variant(pooler, depth, context, geom, grid, g)
                second = run_variant(pooler, depth, context, geom, grid, g)
                timed[variant] = time_fn(lambda: run_variant(pooler, depth, context, geom, grid,
                                                             g), warmup, iters, device)
                rows.append(dict(common, **{'pass': name}, variant=variant, t=timed[variant],
                                 max_abs_diff=max(float((a.cpu() - r).abs().max())
                                                  for a, r in zip(first, ref)),
                                 deterministic=all(torch.equal(a, b)
                                                   for a, b in zip(first, second))))
            if BASELINE in timed:
                for row in rows[-len(variants):]:
                    row['speedup'] = timed[BASELINE]['median'] / row['t']['median']
    return rows
