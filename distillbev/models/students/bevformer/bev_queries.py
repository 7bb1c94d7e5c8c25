# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's BEV queries: one learned embedding per BEV cell, with a learned position code, plus
(optionally) an embedding of the ego's CAN-bus vector added to every query of a sample."""
from typing import Optional, Tuple

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class BEVQueries(BaseModule):
    """``H x W`` learned queries and mmdet's ``LearnedPositionalEncoding`` (row + column tables).

    Query ``i`` is cell ``(row, col) = divmod(i, W)`` of the (B, C, Y, X) BEV layout (row = y,
    col = x, row 0 at y_min), so reshaping the encoder output ``(B, H * W, C)`` to
    ``(B, C, H, W)`` gives a map in the distillbev / CenterHead layout.

    With ``use_can_bus`` (BEVFormer's published setting) every query of a sample also gets the
    embedding of the sample's CAN-bus vector (``can_bus_mlp``: ``Linear(D, C // 2) -> ReLU ->
    Linear(C // 2, C) -> ReLU [-> LayerNorm(C)]``), the same (C, ) vector on all ``H * W``
    cells. The vector is the delta form of :func:`distillbev.datasets.temporal.can_bus_delta`
    (position and heading change since the previous frame, the rest absolute). It is an additive
    query embedding only: the previous BEV's alignment stays the ``curr2prev`` warp.

    Args:
        bev_shape (tuple[int, int]): ``(H, W)`` = (rows along y, columns along x).
        embed_dims (int): C, even (half of the position code is the column, half the row).
        use_can_bus (bool): add the CAN-bus embedding. Defaults to True.
        can_bus_norm (bool): end the MLP with a LayerNorm (published: True). Defaults to True.
        can_bus_dims (int): D, the CAN-bus vector's length. Defaults to 18.
    """

    def __init__(self, bev_shape: Tuple[int, int], embed_dims: int = 256,
                 use_can_bus: bool = True, can_bus_norm: bool = True,
                 can_bus_dims: int = 18) -> None:
        super().__init__()
        if embed_dims % 2:
            raise ValueError(f'BEVQueries needs an even embed_dims, got {embed_dims}')
        self.bev_shape = (int(bev_shape[0]), int(bev_shape[1]))
        self.embed_dims = embed_dims
        self.embedding = nn.Embedding(self.bev_shape[0] * self.bev_shape[1], embed_dims)
        self.positional_encoding = MODELS.build(
            dict(type='mmdet.LearnedPositionalEncoding', num_feats=embed_dims // 2,
                 row_num_embed=self.bev_shape[0], col_num_embed=self.bev_shape[1]))
        self.use_can_bus, self.can_bus_dims = bool(use_can_bus), int(can_bus_dims)
        if self.use_can_bus:
            self.can_bus_mlp = nn.Sequential(
                nn.Linear(self.can_bus_dims, embed_dims // 2), nn.ReLU(inplace=True),
                nn.Linear(embed_dims // 2, embed_dims), nn.ReLU(inplace=True))
            if can_bus_norm:
                self.can_bus_mlp.add_module('norm', nn.LayerNorm(embed_dims))

    def can_bus_embed(self, can_bus: Tensor) -> Tensor:
        """The CAN-bus embedding of each sample.

        Args:
            can_bus (Tensor): (B, D) CAN-bus vectors (delta form).

        Returns:
            Tensor: (B, C), in the queries' dtype and device.
        """
        if not self.use_can_bus:
            raise RuntimeError('BEVQueries(use_can_bus=False) has no CAN-bus MLP')
        weight = self.embedding.weight
        if can_bus.dim() != 2 or can_bus.shape[1] != self.can_bus_dims:
            raise ValueError(f'BEVQueries: can_bus must be (B, {self.can_bus_dims}), got '
                             f'{tuple(can_bus.shape)}')
        return self.can_bus_mlp(can_bus.to(device=weight.device, dtype=weight.dtype))

    def forward(self, batch_size: int,
                can_bus: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """The queries and their position codes for a batch.

        Args:
            batch_size (int): B.
            can_bus (Tensor, optional): (B, D) CAN-bus vectors; required with ``use_can_bus``,
                ignored without.

        Returns:
            tuple[Tensor, Tensor]: queries (B, H * W, C) (+ the (B, 1, C) CAN-bus embedding
            broadcast over the cells) and positions (B, H * W, C).
        """
        weight = self.embedding.weight
        mask = torch.zeros((batch_size, *self.bev_shape), device=weight.device)
        pos = self.positional_encoding(mask).to(weight.dtype)  # (B, C, H, W)
        queries = weight.unsqueeze(0).expand(batch_size, -1, -1)
        if self.use_can_bus:
            if can_bus is None:
                raise ValueError(
                    'BEVQueries(use_can_bus=True) needs the (B, '
                    f'{self.can_bus_dims}) CAN-bus vectors (can_bus); set use_can_bus=False '
                    'to run without them')
            if can_bus.shape[0] != batch_size:
                raise ValueError(f'BEVQueries: {can_bus.shape[0]} CAN-bus vectors for a batch of '
                                 f'{batch_size}')
            queries = queries + self.can_bus_embed(can_bus).unsqueeze(1)
        return queries, pos.flatten(2).transpose(1, 2)
