# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's DETR-style detection decoder with iterative box refinement.

Li et al., ECCV 2022 (BEVFormer), Sec. 3.5 (following Deformable DETR, Zhu et al., ICLR 2021):
object queries go through self-attention, deformable cross-attention on the BEV map around their
BEV reference point, and an FFN (post-norm); with box refinement each layer's regression branch
moves the 3D reference point (in inverse-sigmoid space, detached) for the next layer.
"""
from typing import Optional, Tuple

import torch
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmcv.ops import MultiScaleDeformableAttention
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from .deform_attn import level_layout


def inverse_sigmoid(x: Tensor, eps: float = 1e-5) -> Tensor:
    """``log(x / (1 - x))`` with x clamped to [eps, 1 - eps]."""
    x = x.clamp(0, 1)
    return torch.log(x.clamp(min=eps) / (1 - x).clamp(min=eps))


@MODELS.register_module()
class BEVFormerDecoderLayer(BaseModule):
    """Self-attention -> norm -> deformable cross-attention (BEV) -> norm -> FFN -> norm.

    mmcv's ``MultiheadAttention``, ``MultiScaleDeformableAttention`` (one BEV level; CUDA op on
    GPU, PyTorch sampling on CPU) and ``FFN``, each with its own residual.

    Args:
        embed_dims (int): C. Defaults to 256.
        num_heads (int): heads. Defaults to 8.
        num_points (int): cross-attention points per head. Defaults to 4.
        feedforward_channels (int): FFN hidden size. Defaults to 512.
        dropout (float): dropout. Defaults to 0.1.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8, num_points: int = 4,
                 feedforward_channels: int = 512, dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.self_attn = MultiheadAttention(
            embed_dims, num_heads, attn_drop=dropout,
            dropout_layer=dict(type='Dropout', drop_prob=dropout), batch_first=True)
        self.cross_attn = MultiScaleDeformableAttention(
            embed_dims, num_heads, num_levels=1, num_points=num_points, dropout=dropout,
            batch_first=True)
        self.ffn = FFN(embed_dims=embed_dims, feedforward_channels=feedforward_channels,
                       ffn_drop=dropout)
        self.norms = nn.ModuleList([nn.LayerNorm(embed_dims) for _ in range(3)])

    def forward(self, query: Tensor, query_pos: Tensor, bev: Tensor, ref_2d: Tensor,
                spatial_shapes: Tensor, level_start_index: Tensor) -> Tensor:
        """(B, Q, C) queries; ``bev`` (B, H * W, C); ``ref_2d`` (B, Q, 2) in [0, 1]."""
        query = self.norms[0](self.self_attn(query, query_pos=query_pos, key_pos=query_pos))
        query = self.norms[1](self.cross_attn(
            query, value=bev, query_pos=query_pos, reference_points=ref_2d.unsqueeze(2),
            spatial_shapes=spatial_shapes, level_start_index=level_start_index))
        return self.norms[2](self.ffn(query))


@MODELS.register_module()
class BEVFormerDecoder(BaseModule):
    """A stack of :class:`BEVFormerDecoderLayer` with iterative 3D reference refinement.

    Args:
        num_layers (int): layers (published: 6). Defaults to 6.
        layer_cfg (dict, optional): :class:`BEVFormerDecoderLayer` arguments.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, num_layers: int = 6, layer_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = nn.ModuleList(
            [BEVFormerDecoderLayer(**(layer_cfg or {})) for _ in range(num_layers)])

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def forward(self, query: Tensor, query_pos: Tensor, bev: Tensor, bev_shape: Tuple[int, int],
                reference_points: Tensor,
                reg_branches: Optional[nn.ModuleList] = None) -> Tuple[Tensor, Tensor]:
        """Decode object queries on the BEV.

        Args:
            query (Tensor): (B, Q, C) object queries.
            query_pos (Tensor): (B, Q, C) their position codes.
            bev (Tensor): (B, C, H, W) BEV features.
            bev_shape (tuple[int, int]): (H, W).
            reference_points (Tensor): (B, Q, 3) initial normalised ``(x, y, z)`` in [0, 1]
                over the point-cloud range.
            reg_branches (nn.ModuleList, optional): per-layer regression branches (code
                ``(cx, cy, ., ., cz, ...)``); given: box refinement, None: fixed references.

        Returns:
            tuple[Tensor, Tensor]: per-layer outputs (L, B, Q, C) and each layer's *input*
            reference points (L, B, Q, 3).
        """
        value = bev.flatten(2).transpose(1, 2)
        shapes, starts = level_layout((tuple(bev_shape), ), bev.device)
        states, refs = [], []
        ref = reference_points
        for i, layer in enumerate(self.layers):
            refs.append(ref)
            query = layer(query, query_pos, value, ref[..., :2], shapes, starts)
            states.append(query)
            if reg_branches is not None:
                delta = reg_branches[i](query)
                new = torch.cat([delta[..., 0:2], delta[..., 4:5]], -1) + inverse_sigmoid(ref)
                ref = new.sigmoid().detach()
        return torch.stack(states), torch.stack(refs)
