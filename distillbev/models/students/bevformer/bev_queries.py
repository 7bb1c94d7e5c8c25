# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's BEV queries: one learned embedding per BEV cell, with a learned position code."""
from typing import Tuple

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

    Args:
        bev_shape (tuple[int, int]): ``(H, W)`` = (rows along y, columns along x).
        embed_dims (int): C, even (half of the position code is the column, half the row).
    """

    def __init__(self, bev_shape: Tuple[int, int], embed_dims: int = 256) -> None:
        super().__init__()
        if embed_dims % 2:
            raise ValueError(f'BEVQueries needs an even embed_dims, got {embed_dims}')
        self.bev_shape = (int(bev_shape[0]), int(bev_shape[1]))
        self.embed_dims = embed_dims
        self.embedding = nn.Embedding(self.bev_shape[0] * self.bev_shape[1], embed_dims)
        self.positional_encoding = MODELS.build(
            dict(type='mmdet.LearnedPositionalEncoding', num_feats=embed_dims // 2,
                 row_num_embed=self.bev_shape[0], col_num_embed=self.bev_shape[1]))

    def forward(self, batch_size: int) -> Tuple[Tensor, Tensor]:
        """The queries and their position codes for a batch.

        Args:
            batch_size (int): B.

        Returns:
            tuple[Tensor, Tensor]: queries (B, H * W, C) and positions (B, H * W, C).
        """
        weight = self.embedding.weight
        mask = torch.zeros((batch_size, *self.bev_shape), device=weight.device)
        pos = self.positional_encoding(mask).to(weight.dtype)  # (B, C, H, W)
        queries = weight.unsqueeze(0).expand(batch_size, -1, -1)
        return queries, pos.flatten(2).transpose(1, 2)
