# Copyright (c) distillbev contributors. All rights reserved.
"""Student -> teacher feature adapters (connectors). They live in the distiller, are trained with
the student, and are dropped from the deployed student (``tools/export_student.py``)."""
from typing import Optional, Sequence, Union

import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class IdentityAdapter(BaseModule):
    """Returns its input unchanged (explicit "no adapter" in configs)."""

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): any tensor. Returns: Tensor: ``x``."""
        return x


@MODELS.register_module()
class Conv1x1Adapter(BaseModule):
    """A 1x1 convolution from ``in_channels`` to ``out_channels`` (DistillBEV head level:
    256 -> 384; BEVFormer query embeddings).

    Args:
        in_channels (int): student channels C_s.
        out_channels (int): teacher channels C_t.
        bias (bool): convolution bias. Defaults to True.
        norm_cfg (dict, optional): a norm after the conv, e.g. ``dict(type='BN')``.
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True,
                 norm_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=bias)
        self.norm = build_norm_layer(norm_cfg, out_channels)[1] if norm_cfg else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): (B, C_s, H, W). Returns: Tensor: (B, C_t, H, W)."""
        return self.norm(self.conv(x))


@MODELS.register_module()
class ConvReLUConvAdapter(BaseModule):
    """3x3 conv -> ReLU -> 1x1 conv (MonoDistill / MonoSKD per-level adapters).

    Args:
        in_channels (int): C_s.
        out_channels (int): C_t.
        mid_channels (int, optional): channels of the 3x3 conv; defaults to ``in_channels``.
    """

    def __init__(self, in_channels: int, out_channels: int, mid_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        mid = mid_channels or in_channels
        self.conv1 = nn.Conv2d(in_channels, mid, 3, padding=1)
        self.relu = nn.ReLU(inplace=False)
        self.conv2 = nn.Conv2d(mid, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): (B, C_s, H, W). Returns: Tensor: (B, C_t, H, W)."""
        return self.conv2(self.relu(self.conv1(x)))


@MODELS.register_module()
class UpsampleMLPAdapter(BaseModule):
    """Bilinear upsampling then ``num_layers`` x (1x1 conv + norm + ReLU) (DistillBEV backbone
    levels: x4 up, then 256 -> 256 -> 256 -> 128).

    Args:
        in_channels (int): C_s.
        out_channels (int): C_t (channels of the last layer).
        scale_factor (float | tuple, optional): upsampling factor; None skips the upsampling.
        size (tuple, optional): output (H, W) instead of ``scale_factor``.
        num_layers (int): number of 1x1 layers. Defaults to 3.
        mid_channels (int | Sequence[int], optional): channels of the inner layers; defaults to
            ``in_channels``.
        norm_cfg (dict): norm of every layer. Defaults to ``dict(type='BN')``.
        last_act (bool): ReLU after the last layer too (DistillBEV: yes). Defaults to True.
        align_corners (bool): of the bilinear resize. Defaults to False.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 scale_factor: Optional[Union[float, Sequence[float]]] = None,
                 size: Optional[Sequence[int]] = None, num_layers: int = 3,
                 mid_channels: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'), last_act: bool = True,
                 align_corners: bool = False, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError('UpsampleMLPAdapter needs num_layers >= 1')
        if mid_channels is None or isinstance(mid_channels, int):
            mids = [mid_channels or in_channels] * (num_layers - 1)
        else:
            mids = list(mid_channels)
            if len(mids) != num_layers - 1:
                raise ValueError(f'mid_channels has {len(mids)} entries, expected '
                                 f'num_layers - 1 = {num_layers - 1}')
        self.scale_factor = scale_factor
        self.size = tuple(size) if size is not None else None
        self.align_corners = align_corners
        chans = [in_channels] + mids + [out_channels]
        layers = []
        for i in range(num_layers):
            layers.append(nn.Conv2d(chans[i], chans[i + 1], 1, bias=norm_cfg is None))
            if norm_cfg:
                layers.append(build_norm_layer(norm_cfg, chans[i + 1])[1])
            if i < num_layers - 1 or last_act:
                layers.append(nn.ReLU(inplace=True))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): (B, C_s, H, W). Returns: Tensor: (B, C_t, H*s, W*s)."""
        if self.size is not None or self.scale_factor is not None:
            x = F.interpolate(x, size=self.size,
                              scale_factor=None if self.size is not None else self.scale_factor,
                              mode='bilinear', align_corners=self.align_corners)
        return self.mlp(x)
