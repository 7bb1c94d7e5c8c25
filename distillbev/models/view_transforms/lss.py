# Copyright (c) distillbev contributors. All rights reserved.
"""Lift-splat-shoot view transformers of BEVDet and BEVDepth, in the LiDAR frame.

BEVDet (Huang et al., 2021, "BEVDet: High-performance Multi-camera 3D Object Detection in
Bird-Eye-View") lifts image features with a categorical depth distribution predicted by a 1x1
conv and splats them onto the BEV grid. BEVDepth (Li et al., AAAI 2023) replaces the depth head by
a camera-aware depth net and supervises depth with LiDAR. Unlike the official code (ego frame),
the frustum here is placed in the *augmented LiDAR frame* (``cam2lidar`` then
``lidar_aug_matrix``), so the BEV maps coincide with those of mmdet3d LiDAR teachers.
"""
from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS
from ...structures.bev_grid import BEVGrid
from .bev_pool import bev_pool_depth
from .depth_loss import depth_bce_loss
from .frustum import create_frustum, depth_bins, frustum_to_lidar, pad_to_4x4

CAM_KEYS = ('cam2img', 'cam2lidar', 'img_aug_matrix', 'lidar_aug_matrix')


@MODELS.register_module()
class LiftSplatViewTransformer(BaseModule):
    """BEVDet lift-splat view transformer (LiDAR frame, pure PyTorch pooling).

    Args:
        in_channels (int): channels of the image features.
        out_channels (int): C, channels of the lifted context features (BEVDet numC_Trans: 64).
        grid_config (dict): ``x``, ``y``, ``z``: ``[min, max, step]`` of the BEV grid in the LiDAR
            frame; ``depth``: ``[d_min, d_max, step]`` of the depth bins (BEVDet ``[1, 60, 1]``).
        downsample (int): image stride of the features, used when ``img_shape`` is not given to
            :meth:`forward` (default 16).
        init_cfg (dict, optional): mmengine init config.

    The output BEV map is ``(B, C * nz, Y, X)``, row = y, col = x, row 0 at ``y_min``.
    """

    #: extra depth classes after the D lifted bins (softmax-ed with them, never lifted)
    num_out_of_range_bins = 0

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 grid_config: Dict[str, Sequence[float]],
                 downsample: int = 16,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.grid_config = {
            k: dict(v) if isinstance(v, Mapping) else [float(x) for x in v]
            for k, v in grid_config.items()}
        for key in ('x', 'y', 'z', 'depth'):
            if key not in self.grid_config:
                raise KeyError(f'grid_config needs x, y, z and depth entries; {key!r} missing.')
        self.bev_grid = BEVGrid.from_grid_config(self.grid_config)
        self.nx, self.ny, self.nz = self.bev_grid.num_x, self.bev_grid.num_y, self.bev_grid.num_z
        self.depth_channels = int(depth_bins(self.grid_config['depth']).numel())
        self.downsample = downsample
        self.depth_net = self._build_depth_net()

    def _build_depth_net(self) -> nn.Module:
        return nn.Conv2d(self.in_channels, self.depth_channels + self.out_channels, 1)

    @property
    def bev_shape(self) -> Tuple[int, int]:
        """``(Y, X)`` = ``(ny, nx)`` of the BEV map."""
        return self.ny, self.nx

    def feature_stride(self, feat_size: Tuple[int, int],
                       img_shape: Optional[Tuple[int, int]]) -> Tuple[int, int]:
        """Integer image pixels per feature cell, from the (padded) input size if given."""
        if img_shape is None:
            return self.downsample, self.downsample
        strides = []
        for size, feat in zip(img_shape, feat_size):
            if size % feat:
                raise ValueError(f'input image size {tuple(img_shape)} is not an integer '
                                 f'multiple of the feature size {tuple(feat_size)}.')
            strides.append(size // feat)
        return strides[0], strides[1]

    def get_geometry(self, cam_params: Dict[str, Tensor], feat_size: Tuple[int, int],
                     stride: Tuple[int, int]) -> Tensor:
        """Augmented-LiDAR xyz of every frustum point.

        Args:
            cam_params (dict): ``cam2img``, ``cam2lidar``, ``img_aug_matrix`` (B, N, 4, 4) and
                ``lidar_aug_matrix`` (B, 4, 4) tensors.
            feat_size (tuple): ``(h, w)``.
            stride (tuple): ``(stride_h, stride_w)``.

        Returns:
            Tensor: (B, N, D, h, w, 3).
        """
        frustum = create_frustum(self.grid_config['depth'], feat_size, stride)
        return frustum_to_lidar(frustum, cam_params['cam2img'], cam_params['cam2lidar'],
                                cam_params['img_aug_matrix'], cam_params['lidar_aug_matrix'])

    def depth_and_context(self, x: Tensor, cam_params: Dict[str, Tensor]) -> Tensor:
        """(B * N, C_in, h, w) -> (B * N, D + C, h, w) depth logits then context."""
        return self.depth_net(x)

    def forward(self, img_feats: Tensor, cam_params: Dict[str, Tensor],
                img_shape: Optional[Tuple[int, int]] = None) -> Tuple[Tensor, Tensor]:
        """Lift the image features and splat them onto the BEV grid.

        Args:
            img_feats (Tensor): (B, N, C_in, h, w) image features.
            cam_params (dict): see :meth:`get_geometry`.
            img_shape (tuple, optional): ``(H, W)`` of the (padded) input images; the stride is
                ``H / h``; if None, ``downsample``.

        Returns:
            tuple: ``bev`` (B, C * nz, Y, X) float32 and ``depth`` (B * N, D, h, w) depth
            probabilities (softmax over D, float32; D + 1 with an out-of-range class).
        """
        batch, num_views, channels, h, w = img_feats.shape
        out = self.depth_and_context(img_feats.view(batch * num_views, channels, h, w),
                                     cam_params)
        num_bins = self.depth_channels
        num_classes = num_bins + self.num_out_of_range_bins
        with torch.autocast(device_type=img_feats.device.type, enabled=False):
            depth = out[:, :num_classes].float().softmax(dim=1)
            context = out[:, num_classes:num_classes + self.out_channels].float()
            stride = self.feature_stride((h, w), img_shape)
            geom = self.get_geometry(cam_params, (h, w), stride)
            # Splat depth x context onto the grid without building their (B, N, D, h, w, C)
            # outer product: depth (B, N, D, h, w), context (B, N, h, w, C). An out-of-range
            # class (CaDDN) takes part in the softmax and is not lifted.
            context = context.view(batch, num_views, self.out_channels, h, w)
            bev = bev_pool_depth(depth[:, :num_bins].reshape(batch, num_views, num_bins, h, w),
                                 context.permute(0, 1, 3, 4, 2), geom, self.grid_config)
        return bev, depth


@MODELS.register_module()
class BEVDepthViewTransformer(LiftSplatViewTransformer):
    """BEVDepth view transformer: camera-aware depth net plus LiDAR depth supervision.

    Args:
        in_channels (int): channels of the image features.
        out_channels (int): C (BEVDepth: 80).
        grid_config (dict): as :class:`LiftSplatViewTransformer`; BEVDepth depth
            ``[2, 58, 0.5]`` (112 bins).
        downsample (int): fallback image stride.
        depth_net (dict): extra arguments of :class:`CameraAwareDepthNet` (``mid_channels``,
            ``num_res_blocks``, ``use_aspp``, ``use_dcn``); ``in_channels``,
            ``context_channels``, ``depth_channels`` and ``cam_channels`` are filled in.
        loss_depth_weight (float): weight of the depth BCE (BEVDepth: 3.0).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 grid_config: Dict[str, Sequence[float]],
                 downsample: int = 16,
                 depth_net: Optional[dict] = None,
                 loss_depth_weight: float = 3.0,
                 init_cfg: Optional[dict] = None) -> None:
        self._depth_net_cfg = dict(depth_net or {})
        self.loss_depth_weight = loss_depth_weight
        super().__init__(in_channels, out_channels, grid_config, downsample, init_cfg)

    def _build_depth_net(self) -> nn.Module:
        cfg = dict(type='CameraAwareDepthNet', mid_channels=self.in_channels)
        cfg.update(self._depth_net_cfg)
        cfg.update(in_channels=self.in_channels, context_channels=self.out_channels,
                   depth_channels=self.depth_channels, cam_channels=27)
        return MODELS.build(cfg)

    @staticmethod
    def camera_vector(cam_params: Dict[str, Tensor]) -> Tensor:
        """27-d camera-parameter vector per view.

        ``fx, fy, cx, cy`` (cam2img); image aug ``M00, M01, M10, M11, M03, M13``; BEV aug
        ``L00, L01, L10, L11, L22``; ``cam2lidar[:3, :4]`` row-major (12).

        Args:
            cam_params (dict): see :meth:`LiftSplatViewTransformer.get_geometry`.

        Returns:
            Tensor: (B * N, 27) float32.
        """
        k = pad_to_4x4(cam_params['cam2img']).float()
        batch, num_views = k.shape[:2]
        ida = cam_params['img_aug_matrix'].float()
        bda = cam_params['lidar_aug_matrix'].float().view(batch, 1, 4, 4)
        bda = bda.expand(batch, num_views, 4, 4)
        ext = cam_params['cam2lidar'].float()[..., :3, :4]
        vec = torch.cat([
            torch.stack([k[..., 0, 0], k[..., 1, 1], k[..., 0, 2], k[..., 1, 2]], dim=-1),
            torch.stack([ida[..., 0, 0], ida[..., 0, 1], ida[..., 1, 0], ida[..., 1, 1],
                         ida[..., 0, 3], ida[..., 1, 3]], dim=-1),
            torch.stack([bda[..., 0, 0], bda[..., 0, 1], bda[..., 1, 0], bda[..., 1, 1],
                         bda[..., 2, 2]], dim=-1),
            ext.reshape(batch, num_views, 12),
        ], dim=-1)
        return vec.view(batch * num_views, 27)

    def depth_and_context(self, x: Tensor, cam_params: Dict[str, Tensor]) -> Tensor:
        return self.depth_net(x, self.camera_vector(cam_params).to(x.device))

    def loss_depth(self, depth_probs: Tensor, gt_depth: Tensor,
                   img_shape: Optional[Tuple[int, int]] = None) -> Tensor:
        """Weighted BCE depth loss (see :func:`depth_bce_loss`).

        Args:
            depth_probs (Tensor): (B * N, D, h, w) from :meth:`forward`.
            gt_depth (Tensor): (B * N, H, W) or (B, N, H, W) sparse LiDAR depth, 0 = none.
            img_shape (tuple, optional): ``(H, W)`` of the padded input, for the stride.

        Returns:
            Tensor: scalar ``loss_depth_weight * BCE``.
        """
        gt_depth = gt_depth.reshape(-1, *gt_depth.shape[-2:])
        stride = self.feature_stride(tuple(depth_probs.shape[-2:]), img_shape)
        return depth_bce_loss(depth_probs, gt_depth, self.grid_config['depth'], stride,
                              self.loss_depth_weight)
