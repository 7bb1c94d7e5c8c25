# Copyright (c) distillbev contributors. All rights reserved.
"""BEV encoder of the lift-splat students: a stem-less ResNet over the BEV map and an
FPN-LSS-style neck back to the input BEV resolution (BEVDet, Huang et al., 2021)."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS
from ..layers import ResBlock2d


def _conv_bn_relu(in_channels: int, out_channels: int, kernel: int = 3) -> List[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)
    ]


@MODELS.register_module()
class BEVResNetBackbone(BaseModule):
    """ResNet stages over a BEV map, no stem (BEVDet's BEV encoder backbone).

    Args:
        in_channels (int): C, channels of the view-transformer output.
        num_channels (sequence[int], optional): channels per stage; default ``[2C, 4C, 8C]``.
        num_layers (sequence[int]): residual blocks per stage (default ``[2, 2, 2]``).
        strides (sequence[int]): stride of each stage's first block (default ``[2, 2, 2]``).
        init_cfg (dict, optional): mmengine init config.

    Input (B, C, Y, X); outputs a tuple with one map per stage,
    ``(B, num_channels[i], Y / prod(strides[:i+1]), X / ...)``.
    """

    def __init__(self,
                 in_channels: int,
                 num_channels: Optional[Sequence[int]] = None,
                 num_layers: Sequence[int] = (2, 2, 2),
                 strides: Sequence[int] = (2, 2, 2),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_channels is None:
            num_channels = [in_channels * 2**(i + 1) for i in range(len(num_layers))]
        if not len(num_channels) == len(num_layers) == len(strides):
            raise ValueError('num_channels, num_layers and strides need one entry per stage.')
        self.num_channels = list(num_channels)
        stages, prev = [], in_channels
        for channels, layers, stride in zip(num_channels, num_layers, strides):
            blocks = [ResBlock2d(prev, channels, stride)]
            blocks += [ResBlock2d(channels, channels) for _ in range(layers - 1)]
            stages.append(nn.Sequential(*blocks))
            prev = channels
        self.stages = nn.ModuleList(stages)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)


@MODELS.register_module()
class BEVLSSFPNNeck(BaseModule):
    """FPN-LSS neck: upsample the deep level, concat with a shallow one, fuse, upsample.

    Args:
        in_channels (int): sum of the channels of the two used levels (BEVDet: 8C + 2C = 640).
        out_channels (int): output channels (256).
        in_indices (tuple[int, int]): (shallow, deep) levels of the backbone output
            (default ``(0, 2)``: strides 2 and 8 of the BEV).
        final_upsample (int): upsampling of the fused map (default 2: back to the input BEV).
        init_cfg (dict, optional): mmengine init config.

    Returns a single tensor (B, out_channels, Y, X) at the view-transformer BEV resolution.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 256,
                 in_indices: Tuple[int, int] = (0, 2),
                 final_upsample: int = 2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_indices = tuple(in_indices)
        self.final_upsample = final_upsample
        mid = out_channels * 2
        self.fuse = nn.Sequential(*_conv_bn_relu(in_channels, mid), *_conv_bn_relu(mid, mid))
        self.out_conv = nn.Sequential(*_conv_bn_relu(mid, out_channels),
                                      nn.Conv2d(out_channels, out_channels, 1))

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        shallow, deep = feats[self.in_indices[0]], feats[self.in_indices[1]]
        deep = nn.functional.interpolate(
            deep, size=shallow.shape[-2:], mode='bilinear', align_corners=True)
        x = self.fuse(torch.cat([shallow, deep], dim=1))
        if self.final_upsample != 1:
            x = nn.functional.interpolate(
                x, scale_factor=self.final_upsample, mode='bilinear', align_corners=True)
        return self.out_conv(x)
