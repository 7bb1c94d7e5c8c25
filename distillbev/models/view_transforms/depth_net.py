# Copyright (c) distillbev contributors. All rights reserved.
"""Camera-aware depth net of BEVDepth (Li et al., AAAI 2023), written from the paper.

Image features are reduced by a 3x3 conv; a camera-parameter vector (intrinsics, image and BEV
augmentation, camera extrinsics) is normalised by BatchNorm1d and mapped by two MLPs to
squeeze-excitation gates that re-weight the depth and context branches. The depth branch adds a
few residual 3x3 blocks (optionally ASPP and a deformable conv) before the 1x1 conv to depth
logits.
"""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS
from ..layers import ResBlock2d


class _SEGate(nn.Module):
    """Squeeze-excitation gate driven by an external (camera) vector.

    ``x * sigmoid(W2 relu(W1 g))`` with ``g`` the (M, C) gate input broadcast over H, W.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels, 1)
        self.expand = nn.Conv2d(channels, channels, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, gate: Tensor) -> Tensor:
        g = gate.view(gate.shape[0], gate.shape[1], 1, 1)
        return x * torch.sigmoid(self.expand(self.relu(self.reduce(g))))


class _Mlp(nn.Sequential):
    """Linear-ReLU-Linear."""

    def __init__(self, in_features: int, hidden: int, out_features: int) -> None:
        super().__init__(nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out_features))


class _ASPP(nn.Module):
    """Atrous spatial pyramid pooling (1x1, three dilated 3x3, image pooling) + 1x1 fuse."""

    def __init__(self, in_channels: int, mid_channels: int,
                 dilations: Sequence[int] = (6, 12, 18)) -> None:
        super().__init__()

        def branch(k: int, d: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, k, padding=0 if k == 1 else d,
                          dilation=d, bias=False),
                nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True))

        self.branches = nn.ModuleList([branch(1, 1)] + [branch(3, d) for d in dilations])
        self.pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, mid_channels, 1, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True))
        self.fuse = nn.Sequential(
            nn.Conv2d(mid_channels * (len(dilations) + 2), in_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        outs = [b(x) for b in self.branches]
        outs.append(self.pool(x).expand(-1, -1, x.shape[2], x.shape[3]))
        return self.fuse(torch.cat(outs, dim=1))


@MODELS.register_module()
class CameraAwareDepthNet(BaseModule):
    """BEVDepth camera-aware depth and context net.

    Args:
        in_channels (int): channels of the image features.
        mid_channels (int): width of the reduced features and of the MLPs.
        context_channels (int): C, channels of the context (lifted) features.
        depth_channels (int): D, number of depth bins.
        cam_channels (int): length of the camera-parameter vector (27, see
            :meth:`BEVDepthViewTransformer.camera_vector`).
        num_res_blocks (int): residual 3x3 blocks in the depth branch (BEVDepth: 3).
        use_aspp (bool): add ASPP after the residual blocks (BEVDepth: True; CPU default False).
        use_dcn (bool): add an mmcv ``DCN`` (deformable conv, groups 4) after them
            (BEVDepth: True; default False).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 context_channels: int,
                 depth_channels: int,
                 cam_channels: int = 27,
                 num_res_blocks: int = 3,
                 use_aspp: bool = False,
                 use_dcn: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.depth_channels = depth_channels
        self.context_channels = context_channels
        self.reduce_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True))
        self.bn = nn.BatchNorm1d(cam_channels)
        self.depth_mlp = _Mlp(cam_channels, mid_channels, mid_channels)
        self.context_mlp = _Mlp(cam_channels, mid_channels, mid_channels)
        self.depth_se = _SEGate(mid_channels)
        self.context_se = _SEGate(mid_channels)
        self.context_conv = nn.Conv2d(mid_channels, context_channels, 1)
        layers = [ResBlock2d(mid_channels, mid_channels) for _ in range(num_res_blocks)]
        if use_aspp:
            layers.append(_ASPP(mid_channels, max(mid_channels // 4, 8)))
        if use_dcn:
            from mmcv.ops import ModulatedDeformConv2dPack  # optional, imported on demand
            layers += [
                ModulatedDeformConv2dPack(mid_channels, mid_channels, 3, padding=1,
                                          deform_groups=4, bias=False),
                nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True)
            ]
        layers.append(nn.Conv2d(mid_channels, depth_channels, 1))
        self.depth_conv = nn.Sequential(*layers)

    def forward(self, x: Tensor, cam_vector: Tensor) -> Tensor:
        """Depth logits and context.

        Args:
            x (Tensor): (M, C_in, h, w) image features, M = B * N.
            cam_vector (Tensor): (M, cam_channels) camera parameters.

        Returns:
            Tensor: (M, D + C, h, w): depth logits first, then context.
        """
        cam = self.bn(cam_vector.float())
        x = self.reduce_conv(x)
        context = self.context_conv(self.context_se(x, self.context_mlp(cam)))
        depth = self.depth_conv(self.depth_se(x, self.depth_mlp(cam)))
        return torch.cat([depth, context], dim=1)
