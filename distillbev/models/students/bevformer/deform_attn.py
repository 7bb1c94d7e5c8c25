# Copyright (c) distillbev contributors. All rights reserved.
"""The deformable-attention sampling core shared by BEVFormer's TSA and SCA.

Zhu et al., ICLR 2021, "Deformable DETR": each query samples ``num_points`` locations per head and
level around a reference point and sums them with softmax weights. The sampling itself is mmcv's:
the CUDA op on GPU tensors, ``multi_scale_deformable_attn_pytorch`` (``grid_sample``) otherwise.
"""
import math
from typing import Tuple

import torch
from mmcv.ops.multi_scale_deform_attn import (MultiScaleDeformableAttnFunction,
                                              multi_scale_deformable_attn_pytorch)
from torch import Tensor, nn


def deformable_attention(value: Tensor, spatial_shapes: Tensor, level_start_index: Tensor,
                         sampling_locations: Tensor, attention_weights: Tensor,
                         im2col_step: int = 64) -> Tensor:
    """Weighted bilinear samples of multi-level value maps.

    Args:
        value (Tensor): (bs, num_keys, num_heads, head_dims); levels flattened row-major and
            concatenated, ``num_keys = sum(h_l * w_l)``.
        spatial_shapes (Tensor): (num_levels, 2) long, ``(h_l, w_l)``.
        level_start_index (Tensor): (num_levels,) long, start of each level in ``num_keys``.
        sampling_locations (Tensor): (bs, num_queries, num_heads, num_levels, num_points, 2),
            normalised ``(x, y)`` in [0, 1] (``x = (col + 0.5) / w_l`` is a cell centre); outside
            samples read zeros.
        attention_weights (Tensor): (bs, num_queries, num_heads, num_levels, num_points).
        im2col_step (int): CUDA op batching. Defaults to 64.

    Returns:
        Tensor: (bs, num_queries, num_heads * head_dims).
    """
    if value.is_cuda:
        return MultiScaleDeformableAttnFunction.apply(value, spatial_shapes, level_start_index,
                                                      sampling_locations, attention_weights,
                                                      im2col_step)
    return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                               attention_weights)


def init_sampling_offsets(linear: nn.Linear, num_heads: int, num_levels: int,
                          num_points: int, groups: int = 1) -> None:
    """Deformable DETR's initialisation: zero weight, head ``h`` starts on a ray at angle
    ``2 pi h / num_heads``, point ``p`` at distance ``p + 1`` cells.

    Args:
        linear (nn.Linear): predicts ``groups * num_heads * num_levels * num_points * 2``
            offsets, laid out ``(num_heads, groups, num_levels, num_points, 2)``.
        num_heads (int): attention heads.
        num_levels (int): feature levels.
        num_points (int): points per head and level.
        groups (int): value maps sharing the layout (TSA: 2, previous + current BEV).
    """
    nn.init.zeros_(linear.weight)
    thetas = torch.arange(num_heads, dtype=torch.float32) * (2.0 * math.pi / num_heads)
    grid = torch.stack([thetas.cos(), thetas.sin()], -1)
    grid = grid / grid.abs().max(-1, keepdim=True)[0]
    grid = grid.view(num_heads, 1, 1, 1, 2).repeat(1, groups, num_levels, num_points, 1)
    grid = grid * torch.arange(1, num_points + 1, dtype=torch.float32).view(1, 1, 1, -1, 1)
    with torch.no_grad():
        linear.bias.copy_(grid.flatten())


def level_layout(shapes: Tuple[Tuple[int, int], ...],
                 device: torch.device) -> Tuple[Tensor, Tensor]:
    """``spatial_shapes`` (L, 2) and ``level_start_index`` (L,) of ``(h, w)`` levels (long)."""
    spatial_shapes = torch.as_tensor(shapes, dtype=torch.long, device=device).view(-1, 2)
    starts = torch.cat([spatial_shapes.new_zeros(1),
                        spatial_shapes.prod(1).cumsum(0)[:-1]])
    return spatial_shapes, starts
