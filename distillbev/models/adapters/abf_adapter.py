# Copyright (c) distillbev contributors. All rights reserved.
"""ReviewKD attention-based fusion of student levels (MonoDistill's student-side connector)."""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


class _ABFBlock(nn.Module):
    """One level: 1x1 conv + BN to ``mid``; with a deeper residual, a 2-channel sigmoid
    attention mixes the two; then 3x3 conv + BN back to ``out``."""

    def __init__(self, in_channels: int, mid: int, out_channels: int, fuse: bool) -> None:
        super().__init__()
        self.reduce = nn.Sequential(nn.Conv2d(in_channels, mid, 1, bias=False),
                                    nn.BatchNorm2d(mid))
        self.att = nn.Sequential(nn.Conv2d(2 * mid, 2, 1), nn.Sigmoid()) if fuse else None
        self.expand = nn.Sequential(nn.Conv2d(mid, out_channels, 3, padding=1, bias=False),
                                    nn.BatchNorm2d(out_channels))

    def forward(self, x: Tensor, residual: Optional[Tensor]):
        x = self.reduce(x)
        if self.att is not None and residual is not None:
            residual = F.interpolate(residual, size=x.shape[-2:], mode='nearest')
            a = self.att(torch.cat([x, residual], dim=1))
            x = x * a[:, :1] + residual * a[:, 1:]
        return self.expand(x), x


@MODELS.register_module()
class ABFAdapter(BaseModule):
    """Attention-based fusion (ReviewKD: Chen et al., "Distilling Knowledge via Knowledge
    Review", CVPR 2021) over several student levels, then one 3x3-ReLU-1x1 adapter per output
    level, as MonoDistill's student connector (Chong et al., ICLR 2022).

    Levels are processed from the deepest to the shallowest: level ``i`` is reduced to ``mid``
    channels (1x1 conv + BN); except for the deepest, it is mixed with the (nearest-upsampled)
    reduced map of the level below it by a per-pixel 2-channel sigmoid attention
    ``x a_0 + r a_1``; a 3x3 conv + BN maps it back to ``out_channels[i]``. Each returned level
    then passes its own 3x3 conv -> ReLU -> 1x1 conv (``post_adapter``). MonoDistill: DLA
    levels 2-5 (64/128/256/512 channels, ``mid=512``), levels 3-5 returned and distilled.

    Args:
        in_channels (Sequence[int]): channels of the fused levels (shallow to deep).
        out_channels (Sequence[int], optional): per level; defaults to ``in_channels``.
        mid_channels (int): fusion width. Defaults to 512.
        in_indices (Sequence[int], optional): elements of the input sequence that are the
            fused levels (e.g. ``(2, 3, 4, 5)`` of a DLANet tuple); defaults to all.
        out_indices (Sequence[int], optional): positions in ``in_channels`` returned; defaults
            to all.
        post_adapter (bool): add the per-level 3x3-ReLU-1x1 adapter. Defaults to True.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Optional[Sequence[int]] = None,
                 mid_channels: int = 512, in_indices: Optional[Sequence[int]] = None,
                 out_indices: Optional[Sequence[int]] = None, post_adapter: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_channels = list(out_channels or in_channels)
        if len(out_channels) != len(in_channels):
            raise ValueError('ABFAdapter: in_channels and out_channels differ in length')
        if in_indices is not None and len(in_indices) != len(in_channels):
            raise ValueError(f'ABFAdapter: {len(in_indices)} in_indices for '
                             f'{len(in_channels)} in_channels')
        n = len(in_channels)
        self.in_indices = None if in_indices is None else [int(i) for i in in_indices]
        self.out_indices = list(range(n)) if out_indices is None else [int(i) for i in out_indices]
        self.blocks = nn.ModuleList(
            _ABFBlock(c, mid_channels, o, fuse=i < n - 1)
            for i, (c, o) in enumerate(zip(in_channels, out_channels)))
        self.post = nn.ModuleList(
            nn.Sequential(nn.Conv2d(out_channels[i], out_channels[i], 3, padding=1),
                          nn.ReLU(inplace=False), nn.Conv2d(out_channels[i], out_channels[i], 1))
            if post_adapter else nn.Identity() for i in self.out_indices)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Args: feats (Sequence[Tensor]): student levels (B, C_i, H_i, W_i).
        Returns: list[Tensor]: the ``out_indices`` levels, (B, out_channels[i], H_i, W_i)."""
        feats = list(feats)
        if self.in_indices is not None:
            feats = [feats[i] for i in self.in_indices]
        if len(feats) != len(self.blocks):
            raise ValueError(f'ABFAdapter expects {len(self.blocks)} levels, got {len(feats)}; '
                             'set in_indices to pick them from the tapped tuple')
        outs: List[Optional[Tensor]] = [None] * len(feats)
        residual = None
        for i in range(len(feats) - 1, -1, -1):
            outs[i], residual = self.blocks[i](feats[i], residual)
        return [post(outs[i]) for post, i in zip(self.post, self.out_indices)]
