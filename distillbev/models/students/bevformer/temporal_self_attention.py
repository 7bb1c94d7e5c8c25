# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's temporal self-attention (TSA).

Li et al., ECCV 2022, "BEVFormer: Learning Bird's-Eye-View Representation from Multi-Camera Images
via Spatiotemporal Transformers", Sec. 3.4: each BEV query deformably attends to two BEV maps, the
previous frame's BEV *aligned to the current frame through the ego motion* and the current queries;
the two results are averaged. Without history (first frame of a scene) the previous map is replaced
by the queries themselves, so TSA degenerates to deformable self-attention.

Alignment: distillbev resamples the previous BEV onto the current cells with
:func:`~distillbev.models.students.bevdepth4d.warp_bev` (``curr2prev`` from ``TemporalFrames``,
which includes the shared BEV augmentation; bilinear, zeros outside the previous map) before it
enters TSA, instead of the official code's rotation of the map plus a shift of the reference
points. Both reference points of a query therefore sit at its own cell centre.
"""
from typing import Optional

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ....structures.bev_grid import BEVGrid
from ..bevdepth4d import warp_bev
from .deform_attn import deformable_attention, init_sampling_offsets, level_layout


def align_prev_bev(prev_bev: Tensor, curr2prev: Tensor, grid: BEVGrid) -> Tensor:
    """The previous frame's BEV on the current frame's cells (a thin name over ``warp_bev``).

    Args:
        prev_bev (Tensor): (B, C, H, W) BEV of the previous frame in its (augmented) LiDAR frame.
        curr2prev (Tensor): (B, 4, 4) current -> previous (augmented) LiDAR frame.
        grid (BEVGrid): the grid of both maps.

    Returns:
        Tensor: (B, C, H, W); cell (row, col) holds the previous map at the place that the current
        cell centre occupied in the previous frame.
    """
    return warp_bev(prev_bev, curr2prev, grid)


@MODELS.register_module()
class BEVTemporalSelfAttention(BaseModule):
    """Deformable attention over [aligned previous BEV, current queries] (one BEV level).

    Offsets and weights are predicted from the concatenation ``[previous value, query + pos]``
    (2C), separately for each of the two value maps; the two outputs are averaged, projected,
    and added to the input queries (residual).

    Args:
        embed_dims (int): C. Defaults to 256.
        num_heads (int): heads. Defaults to 8.
        num_points (int): sampling points per head and value map. Defaults to 4 (paper).
        dropout (float): dropout on the output before the residual. Defaults to 0.1.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8, num_points: int = 4,
                 dropout: float = 0.1, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} must be divisible by num_heads {num_heads}')
        self.embed_dims, self.num_heads, self.num_points = embed_dims, num_heads, num_points
        self.num_maps = 2  # previous BEV, current queries
        self.sampling_offsets = nn.Linear(2 * embed_dims,
                                          self.num_maps * num_heads * num_points * 2)
        self.attention_weights = nn.Linear(2 * embed_dims, self.num_maps * num_heads * num_points)
        self.value_proj = nn.Linear(embed_dims, embed_dims)
        self.output_proj = nn.Linear(embed_dims, embed_dims)
        self.dropout = nn.Dropout(dropout)
        self._reset()

    def _reset(self) -> None:
        init_sampling_offsets(self.sampling_offsets, self.num_heads, 1, self.num_points,
                              groups=self.num_maps)
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for lin in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._reset()

    def forward(self, query: Tensor, query_pos: Tensor, ref_2d: Tensor, bev_shape: tuple,
                prev_bev: Optional[Tensor] = None,
                has_prev: Optional[Tensor] = None) -> Tensor:
        """Temporal self-attention of the BEV queries.

        Args:
            query (Tensor): (B, Q, C) BEV queries, ``Q = H * W`` row-major.
            query_pos (Tensor): (B, Q, C) position codes.
            ref_2d (Tensor): (Q, 2) normalised cell centres ``((col + .5) / W, (row + .5) / H)``.
            bev_shape (tuple[int, int]): (H, W).
            prev_bev (Tensor, optional): (B, Q, C) previous BEV already aligned to the current
                cells (:func:`align_prev_bev`, flattened); None: no history.
            has_prev (Tensor, optional): (B,) bool, samples whose ``prev_bev`` is real history;
                the others attend to their own queries twice. None: all True if ``prev_bev``.

        Returns:
            Tensor: (B, Q, C) updated queries (with the residual).
        """
        bs, num_q, dims = query.shape
        if prev_bev is None:
            prev = query
        else:
            keep = (torch.ones(bs, dtype=torch.bool, device=query.device)
                    if has_prev is None else has_prev.to(query.device).bool())
            prev = torch.where(keep.view(bs, 1, 1), prev_bev.to(query.dtype), query)
        value = torch.stack([prev, query], 1).flatten(0, 1)  # (2B, Q, C)
        q = torch.cat([prev, query + query_pos], -1)  # (B, Q, 2C)
        heads, pts, maps = self.num_heads, self.num_points, self.num_maps
        offsets = self.sampling_offsets(q).view(bs, num_q, heads, maps, 1, pts, 2)
        weights = self.attention_weights(q).view(bs, num_q, heads, maps, pts).softmax(-1)
        offsets = offsets.permute(0, 3, 1, 2, 4, 5, 6).flatten(0, 1)  # (2B, Q, h, 1, P, 2)
        weights = weights.permute(0, 3, 1, 2, 4).flatten(0, 1).unsqueeze(3)  # (2B,Q,h,1,P)
        height, width = bev_shape
        norm = offsets.new_tensor([width, height])
        locs = ref_2d.to(offsets).view(1, num_q, 1, 1, 1, 2) + offsets / norm
        v = self.value_proj(value).view(bs * maps, num_q, heads, dims // heads)
        shapes, starts = level_layout(((height, width), ), query.device)
        out = deformable_attention(v, shapes, starts, locs, weights)  # (2B, Q, C)
        out = out.view(bs, maps, num_q, dims).mean(1)
        return query + self.dropout(self.output_proj(out))
