# Copyright (c) distillbev contributors. All rights reserved.
"""CaDDN's categorical depth distribution, lifted and splatted onto a LiDAR teacher's BEV grid.

CaDDN (Reading et al., CVPR 2021, "Categorical Depth Distribution Network for Monocular 3D Object
Detection"), as CMKD's KITTI student keeps it: per image-feature pixel a softmax over ``D``
linear-increasing depth bins plus one out-of-range class (:mod:`.lid`), reduced image features
(1x1 conv, BN, ReLU to C channels), frustum features = depth probabilities x features.

CaDDN then samples the frustum volume at the centres of a LiDAR voxel grid (``FrustumToVoxel``:
trilinear ``grid_sample`` through the calibration) and collapses z. Here the frustum goes
through the same lift-splat code path as the multi-view students instead
(:class:`~.lss.LiftSplatViewTransformer`, :func:`~.bev_pool.bev_pool_depth`): every frustum point
``(u, v, e_k)`` (``e_k`` the lower edge of LID bin ``k``, where CaDDN's sampling reads slot ``k``)
is taken back through ``img_aug_matrix``, ``cam2img`` (KITTI: the 4x4 ``P2``), ``cam2lidar``
(``inv(R0_rect @ Tr_velo_to_cam)``) and ``lidar_aug_matrix`` into the augmented LiDAR frame and
summed into its voxel of the grid ``grid_config`` (x, y, z). One geometry for every camera
student and every augmentation (image flip/resize/crop, BEV flip/rotation/scale), deterministic
pooling, and the grid is the teacher's cell for cell. The difference from grid sampling: a voxel
receives the sum over the frustum points inside it (near the camera several per voxel, far away
few: voxels between two rays stay empty) rather than a trilinear read of the frustum at its
centre.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS
from .depth_loss import depth_focal_loss
from .lid import lid_params
from .lss import LiftSplatViewTransformer


class LIDDepthHead(nn.Module):
    """Depth logits (``D + 1``) and reduced context features (C) of every feature pixel.

    Depth: 3x3 conv, BN, ReLU, 1x1 conv to ``D + 1`` (CaDDN uses DeepLabV3's ASPP head on the
    stride-8 ``layer3`` features; here a light head on an FPN level). Context: CaDDN's channel
    reduction, 1x1 conv, BN, ReLU to C.
    """

    def __init__(self, in_channels: int, mid_channels: int, depth_classes: int,
                 context_channels: int) -> None:
        super().__init__()
        norm = dict(type='BN2d')
        self.depth = nn.Sequential(
            ConvModule(in_channels, mid_channels, 3, padding=1, norm_cfg=norm),
            nn.Conv2d(mid_channels, depth_classes, 1))
        self.context = ConvModule(in_channels, context_channels, 1, norm_cfg=norm)

    def forward(self, x: Tensor) -> Tensor:
        """(M, C_in, h, w) -> (M, D + 1 + C, h, w): depth logits, then context."""
        return torch.cat([self.depth(x), self.context(x)], dim=1)


@MODELS.register_module()
class LIDDepthViewTransformer(LiftSplatViewTransformer):
    """Lift-splat with CaDDN's LID depth classes and focal depth loss (CMKD's KITTI student).

    Args:
        in_channels (int): channels of the image features.
        out_channels (int): C, lifted channels (CaDDN / CMKD: 64).
        grid_config (dict): ``x``, ``y``, ``z`` as ``[min, max, step]`` (the teacher's BEV
            grid; z split into voxels that a :class:`Conv2DCollapse` flattens) and
            ``depth=dict(mode='LID', min=2.0, max=46.8, num_bins=120)`` (CMKD's code).
        downsample (int): fallback image stride (CaDDN: 8).
        mid_channels (int, optional): width of the depth head. Defaults to ``in_channels``.
        loss_depth (dict, optional): ``alpha``, ``gamma``, ``loss_weight`` of
            :func:`~.depth_loss.depth_focal_loss` (CaDDN: 0.25, 2.0; CMKD weight 1.0 for the
            PointPillars teacher, 0.5 for SECOND / CenterPoint).
        init_cfg (dict, optional): mmengine init config.

    ``forward`` returns ``(bev (B, C * nz, Y, X), depth (B * N, D + 1, h, w))`` (softmax over the
    ``D`` bins and the out-of-range class; only the ``D`` bins are lifted).
    """

    num_out_of_range_bins = 1

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 grid_config: Dict[str, Sequence[float]],
                 downsample: int = 8,
                 mid_channels: Optional[int] = None,
                 loss_depth: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        self.mid_channels = mid_channels or in_channels
        self.loss_depth_cfg = dict(alpha=0.25, gamma=2.0, loss_weight=1.0)
        self.loss_depth_cfg.update(loss_depth or {})
        if not isinstance(grid_config.get('depth'), dict):
            raise ValueError('LIDDepthViewTransformer: grid_config["depth"] must be '
                             'dict(mode="LID", min=, max=, num_bins=), got '
                             f'{grid_config.get("depth")!r}')
        lid_params(grid_config['depth'])
        super().__init__(in_channels, out_channels, grid_config, downsample, init_cfg)

    def _build_depth_net(self) -> nn.Module:
        return LIDDepthHead(self.in_channels, self.mid_channels, self.depth_channels + 1,
                            self.out_channels)

    def loss_depth(self, depth_probs: Tensor, gt_depth: Tensor,
                   img_shape: Optional[Tuple[int, int]] = None) -> Tensor:
        """Focal loss over the LID classes (see :func:`~.depth_loss.depth_focal_loss`).

        Args:
            depth_probs (Tensor): (B * N, D + 1, h, w) from :meth:`forward`.
            gt_depth (Tensor): (B * N, H, W) or (B, N, H, W) sparse LiDAR depth, 0 = none.
            img_shape (tuple, optional): ``(H, W)`` of the padded input, for the stride.

        Returns:
            Tensor: scalar.
        """
        gt_depth = gt_depth.reshape(-1, *gt_depth.shape[-2:])
        stride = self.feature_stride(tuple(depth_probs.shape[-2:]), img_shape)
        return depth_focal_loss(depth_probs, gt_depth, self.grid_config['depth'], stride,
                                **self.loss_depth_cfg)


@MODELS.register_module()
class Conv2DCollapse(BaseModule):
    """CaDDN's ``Conv2DCollapse``: flatten the z voxels into channels, 1x1 conv, BN, ReLU.

    Args:
        in_channels (int): ``C * nz`` of the lifted map (channel ``z * C + c``).
        out_channels (int): the channels of the teacher's map before its BEV backbone
            (PointPillars' scatter: 64; SECOND's height compression: 256 in mmdet3d).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.block = ConvModule(in_channels, out_channels, 1, bias=False,
                                norm_cfg=dict(type='BN2d'))

    def forward(self, x: Tensor) -> Tensor:
        """(B, C * nz, Y, X) -> (B, out_channels, Y, X)."""
        return self.block(x)
