# Copyright (c) distillbev contributors. All rights reserved.
"""Deterministic sum-splats of point values into cells: the kernels behind :mod:`.bev_pool`.

Every function sums ``P`` rows into ``num_cells`` rows given the cell index (rank) of each row,
and is deterministic: the same inputs give the same bits on every run.

- :func:`index_add_pool`: ``index_add`` (CPU: one pass in index order; on CUDA ``index_add`` uses
  atomics and is not deterministic, so it is used on CPU only).
- :func:`sorted_segment_pool`: stable sort by cell, then a float64 prefix sum read at segment
  ends (deterministic on CPU and CUDA; slower on CPU).
- :func:`depth_context_pool`: the depth-weighted splat of lift-splat without building the
  ``(P, C)`` product on CPU: a sparse ``(cells x pixels)`` matrix of depth weights times the
  ``(pixels, C)`` context (the COO x dense product is one serial loop over non-zeros); other
  devices gather the ``(P, C)`` rows and use :func:`sorted_segment_pool`, in the backward too.
"""
from typing import Optional

import torch
from torch import Tensor


class _SortedSegmentSum(torch.autograd.Function):
    """Sum of consecutive rows that share a key, for rows already sorted by key.

    Forward: cumulative sum (in float64, so the difference of two prefix sums stays exact to fp32
    precision whatever the number of points) read at segment ends, minus the previous end.
    Backward: each row gets the gradient of its segment (a gather).
    """

    @staticmethod
    def forward(ctx, feats: Tensor, seg_ids: Tensor, seg_ends: Tensor) -> Tensor:
        csum = feats.double().cumsum(0)[seg_ends]
        csum[1:] = csum[1:] - csum[:-1].clone()
        ctx.save_for_backward(seg_ids)
        return csum.to(feats.dtype)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        seg_ids, = ctx.saved_tensors
        return grad_out[seg_ids], None, None


def sorted_segment_pool(values: Tensor, ranks: Tensor, num_cells: int) -> Tensor:
    """Sum rows per cell by stable sort + float64 prefix sum (deterministic on any device).

    Args:
        values (Tensor): (P, C) float rows.
        ranks (Tensor): (P,) int64 cell of each row, in ``[0, num_cells)``.
        num_cells (int): number of output rows.

    Returns:
        Tensor: (num_cells, C), dtype of ``values``; differentiable w.r.t. ``values``.
    """
    out = values.new_zeros(num_cells, values.shape[1])
    if ranks.numel() == 0:
        return out
    ranks, order = torch.sort(ranks, stable=True)
    values = values[order]
    is_end = torch.ones_like(ranks, dtype=torch.bool)
    is_end[:-1] = ranks[1:] != ranks[:-1]
    seg_ends = torch.nonzero(is_end, as_tuple=True)[0]
    # Segment id of every sorted row: number of segment ends strictly before it.
    seg_ids = torch.cumsum(is_end.long(), 0) - is_end.long()
    sums = _SortedSegmentSum.apply(values, seg_ids, seg_ends)
    return out.index_put((ranks[seg_ends], ), sums)  # unique indices: deterministic


def index_add_pool(values: Tensor, ranks: Tensor, num_cells: int) -> Tensor:
    """Sum rows per cell with ``index_add`` (CPU: deterministic, rows added in order).

    Args:
        values (Tensor): (P, C) float rows.
        ranks (Tensor): (P,) int64 cell of each row.
        num_cells (int): number of output rows.

    Returns:
        Tensor: (num_cells, C); differentiable w.r.t. ``values`` (backward: a gather).
    """
    return values.new_zeros(num_cells, values.shape[1]).index_add(0, ranks, values)


def pool_points(values: Tensor, ranks: Tensor, num_cells: int) -> Tensor:
    """Deterministic per-cell sum: :func:`index_add_pool` on CPU, else :func:`sorted_segment_pool`.

    Args and Returns: as :func:`index_add_pool`.
    """
    if values.device.type == 'cpu':
        return index_add_pool(values, ranks, num_cells)
    return sorted_segment_pool(values, ranks, num_cells)


def weighted_gather_pool(weights: Tensor, values: Tensor, rows: Tensor, cols: Tensor,
                         num_rows: int) -> Tensor:
    """``out[r] = sum_{p: rows[p] = r} weights[p] * values[cols[p]]`` (no autograd).

    CPU: a sparse COO (num_rows x len(values)) matrix of the weights times ``values`` (one
    serial loop over the points). Other devices: the (P, C) rows are gathered and summed with
    :func:`sorted_segment_pool`. Deterministic on both.

    Args:
        weights (Tensor): (P,) float weights.
        values (Tensor): (M, C) float rows.
        rows (Tensor): (P,) int64 output row of each point.
        cols (Tensor): (P,) int64 row of ``values`` of each point.
        num_rows (int): number of output rows.

    Returns:
        Tensor: (num_rows, C).
    """
    if values.device.type != 'cpu':
        return sorted_segment_pool(weights.unsqueeze(1) * values[cols], rows, num_rows)
    mat = torch.sparse_coo_tensor(torch.stack([rows, cols]), weights, (num_rows, len(values)),
                                  check_invariants=False)
    return torch.sparse.mm(mat, values.contiguous())


def _rowwise_dot(a: Tensor, a_rows: Tensor, b: Tensor, b_rows: Tensor,
                 chunk: int = 8192) -> Tensor:
    """``out[p] = <a[a_rows[p]], b[b_rows[p]]>``, gathered ``chunk`` rows at a time.

    Chunks keep the two gathered (chunk, C) blocks in cache (about 3x faster than gathering
    all P rows at once on CPU) and give the same bits: each dot product is reduced alone.

    Args:
        a (Tensor): (R, C). a_rows (Tensor): (P,) int64 rows of ``a``.
        b (Tensor): (M, C). b_rows (Tensor): (P,) int64 rows of ``b``.
        chunk (int): rows per block.

    Returns:
        Tensor: (P,) in the dtype of ``a``.
    """
    out = a.new_empty(a_rows.shape[0])
    for start in range(0, a_rows.shape[0], chunk):
        stop = start + chunk
        torch.sum(a[a_rows[start:stop]] * b[b_rows[start:stop]], 1, out=out[start:stop])
    return out


class _DepthContextSplat(torch.autograd.Function):
    """``out[r] = sum_p w[p] * context[pix[p]]`` over the points ``p`` with ``ranks[p] == r``.

    Forward: :func:`weighted_gather_pool` (CPU: the sparse (cells x pixels) matrix of depth
    weights times the context). Backward: ``grad_context`` is the same pooling transposed
    (pixels from cells) and ``grad_w[p] = <grad_out[r_p], context[pix_p]>``; all deterministic.
    """

    @staticmethod
    def forward(ctx, weights: Tensor, context: Tensor, ranks: Tensor, pix: Tensor,
                num_cells: int) -> Tensor:
        ctx.save_for_backward(weights, context, ranks, pix)
        return weighted_gather_pool(weights, context, ranks, pix, num_cells)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        weights, context, ranks, pix = ctx.saved_tensors
        grad_w: Optional[Tensor] = None
        grad_context: Optional[Tensor] = None
        grad_out = grad_out.contiguous()
        if ctx.needs_input_grad[0]:
            grad_w = _rowwise_dot(grad_out, ranks, context, pix)
        if ctx.needs_input_grad[1]:
            grad_context = weighted_gather_pool(weights, grad_out, pix, ranks, len(context))
        return grad_w, grad_context, None, None, None


def depth_context_pool(weights: Tensor, context: Tensor, ranks: Tensor, pix: Tensor,
                       num_cells: int) -> Tensor:
    """Depth-weighted splat of per-pixel context without the (P, C) outer product.

    ``out[r] = sum_{p: ranks[p] = r} weights[p] * context[pix[p]]``, deterministic forward and
    backward (see :func:`weighted_gather_pool`).

    Args:
        weights (Tensor): (P,) float32 depth probability of each kept frustum point.
        context (Tensor): (M, C) float32 context features of the M pixels.
        ranks (Tensor): (P,) int64 cell of each point.
        pix (Tensor): (P,) int64 pixel (row of ``context``) of each point.
        num_cells (int): number of output rows.

    Returns:
        Tensor: (num_cells, C) float32; differentiable w.r.t. ``weights`` and ``context``.
    """
    return _DepthContextSplat.apply(weights, context, ranks, pix, num_cells)
