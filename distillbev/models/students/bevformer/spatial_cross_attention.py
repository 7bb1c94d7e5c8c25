# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's spatial cross-attention (SCA) and the pillar reference points it samples.

Li et al., ECCV 2022 (BEVFormer), Sec. 3.3: every BEV query is lifted to a pillar of
``num_points_in_pillar`` 3D reference points at heights spread over the z range; each point is
projected into every camera with the same geometry as distillbev's lift-splat students
(``cam2img``, ``cam2lidar``, ``img_aug_matrix``, ``lidar_aug_matrix``); only the views where some
point of the pillar is in front of the camera and inside the image ("hit views") are sampled,
with deformable attention around the projections, and the results are averaged over hit views.
"""
from typing import Dict, Optional, Tuple

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ....structures.bev_grid import BEVGrid
from ....utils.geometry import pad_to_4x4
from .deform_attn import deformable_attention, init_sampling_offsets


def pillar_points(grid: BEVGrid, num_points_in_pillar: int, z_range: Tuple[float, float],
                  device: Optional[torch.device] = None) -> Tensor:
    """3D reference points of every BEV cell: its centre at evenly spread heights.

    Heights run from ``z_min + 0.5`` to ``z_max - 0.5`` metres (the published spacing: for
    [-5, 3] and 4 points, -4.5, -2.17, 0.17, 2.5).

    Args:
        grid (BEVGrid): the BEV grid (H, W).
        num_points_in_pillar (int): Z, points per pillar.
        z_range (tuple[float, float]): (z_min, z_max) in metres.
        device (torch.device, optional): output device.

    Returns:
        Tensor: (Z, H * W, 3) LiDAR-frame (augmented) points; query ``i`` = cell ``divmod(i, W)``.
    """
    xy = grid.cell_centers(device=device).flatten(0, 1)  # (HW, 2)
    zs = torch.linspace(z_range[0] + 0.5, z_range[1] - 0.5, num_points_in_pillar, device=device)
    zs = zs.view(-1, 1, 1).expand(-1, xy.shape[0], 1)
    return torch.cat([xy.unsqueeze(0).expand(num_points_in_pillar, -1, -1), zs], -1)


def project_to_views(points: Tensor, cam_params: Dict[str, Tensor],
                     eps: float = 1e-5) -> Tuple[Tensor, Tensor]:
    """Pixels of augmented-LiDAR-frame points in every augmented camera image.

    ``(u0 d, v0 d, d) = cam2img @ inv(cam2lidar) @ inv(lidar_aug) @ p`` (the ``lidar2img`` of the
    metainfo after undoing the BEV augmentation), then ``(u, v) = img_aug @ (u0, v0, d, 1)`` —
    the inverse of the lift-splat frustum (``frustum_to_lidar``).

    Args:
        points (Tensor): (B, P, 3) points in the augmented LiDAR frame.
        cam_params (dict): ``cam2img``, ``cam2lidar``, ``img_aug_matrix`` (B, N, 4, 4) and
            ``lidar_aug_matrix`` (B, 4, 4), see ``camera_params``.
        eps (float): smallest depth divided by.

    Returns:
        tuple[Tensor, Tensor]: pixels (B, N, P, 2) ``(u, v)`` in the augmented image, and depth
        (B, N, P) along the optical axis (<= 0: behind the camera).
    """
    cam2img = pad_to_4x4(cam_params['cam2img']).float()
    lidar2cam = torch.inverse(cam_params['cam2lidar'].double()).float()
    undo_bev = torch.inverse(cam_params['lidar_aug_matrix'].double()).float()[:, None]
    lidar2img = cam2img @ lidar2cam @ undo_bev  # (B, N, 4, 4)
    homo = torch.cat([points, torch.ones_like(points[..., :1])], -1).float()  # (B, P, 4)
    cam = torch.einsum('bnij,bpj->bnpi', lidar2img, homo)
    depth = cam[..., 2]
    uv0 = cam[..., :2] / depth.clamp(min=eps).unsqueeze(-1)
    pix = torch.cat([uv0, depth.unsqueeze(-1), torch.ones_like(depth).unsqueeze(-1)], -1)
    uv = torch.einsum('bnij,bnpj->bnpi', cam_params['img_aug_matrix'].float(), pix)[..., :2]
    return uv, depth


def reference_points_cam(pillars: Tensor, cam_params: Dict[str, Tensor],
                         img_shape: Tuple[int, int], eps: float = 1e-5) -> Tuple[Tensor, Tensor]:
    """Normalised projections of the pillar points and the in-front-and-inside mask.

    Args:
        pillars (Tensor): (Z, Q, 3) points from :func:`pillar_points`.
        cam_params (dict): camera geometry, see :func:`project_to_views`.
        img_shape (tuple[int, int]): (H, W) of the image tensor the features come from.
        eps (float): minimum depth for a valid projection.

    Returns:
        tuple[Tensor, Tensor]: ``ref_cam`` (B, N, Q, Z, 2) with ``(u / W, v / H)``, and ``mask``
        (B, N, Q, Z) bool: depth > eps and 0 < u / W < 1, 0 < v / H < 1.
    """
    num_z, num_q, _ = pillars.shape
    batch = cam_params['cam2lidar'].shape[0]
    pts = pillars.transpose(0, 1).reshape(1, num_q * num_z, 3).expand(batch, -1, -1)
    uv, depth = project_to_views(pts, cam_params, eps)
    height, width = img_shape
    ref = uv / uv.new_tensor([width, height])
    mask = ((depth > eps) & (ref[..., 0] > 0) & (ref[..., 0] < 1) & (ref[..., 1] > 0)
            & (ref[..., 1] < 1))
    num_views = uv.shape[1]
    return (ref.view(batch, num_views, num_q, num_z, 2),
            mask.view(batch, num_views, num_q, num_z))


@MODELS.register_module()
class BEVSpatialCrossAttention(BaseModule):
    """Deformable attention of BEV queries into the views their pillar hits, averaged.

    The pillar's ``Z`` projections are the reference points of one view; the ``num_points``
    offsets of a head and level are split evenly over them (``num_points / Z`` per projection).
    Queries are gathered per view (only hit queries; padded to the longest view) as in the paper.

    Args:
        embed_dims (int): C. Defaults to 256.
        num_heads (int): heads. Defaults to 8.
        num_levels (int): image feature levels. Defaults to 4.
        num_points (int): points per head and level, a multiple of ``num_points_in_pillar``.
            Defaults to 8 (paper).
        num_points_in_pillar (int): Z. Defaults to 4.
        dropout (float): dropout before the residual. Defaults to 0.1.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8, num_levels: int = 4,
                 num_points: int = 8, num_points_in_pillar: int = 4, dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_points % num_points_in_pillar or embed_dims % num_heads:
            raise ValueError('num_points must be a multiple of num_points_in_pillar and '
                             'embed_dims a multiple of num_heads; got '
                             f'{num_points}, {num_points_in_pillar}, {embed_dims}, {num_heads}')
        self.embed_dims, self.num_heads = embed_dims, num_heads
        self.num_levels, self.num_points, self.num_z = num_levels, num_points, num_points_in_pillar
        self.sampling_offsets = nn.Linear(embed_dims, num_heads * num_levels * num_points * 2)
        self.attention_weights = nn.Linear(embed_dims, num_heads * num_levels * num_points)
        self.value_proj = nn.Linear(embed_dims, embed_dims)
        self.output_proj = nn.Linear(embed_dims, embed_dims)
        self.dropout = nn.Dropout(dropout)
        self._reset()

    def _reset(self) -> None:
        init_sampling_offsets(self.sampling_offsets, self.num_heads, self.num_levels,
                              self.num_points)
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for lin in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._reset()

    def forward(self, query: Tensor, query_pos: Tensor, value: Tensor, spatial_shapes: Tensor,
                level_start_index: Tensor, ref_cam: Tensor, bev_mask: Tensor) -> Tensor:
        """Spatial cross-attention.

        Args:
            query (Tensor): (B, Q, C) BEV queries.
            query_pos (Tensor): (B, Q, C) position codes (added for offsets and weights).
            value (Tensor): (B, N, K, C) image features of N views, levels flattened
                (``K = sum(h_l * w_l)``).
            spatial_shapes (Tensor): (L, 2) long ``(h_l, w_l)``.
            level_start_index (Tensor): (L,) long.
            ref_cam (Tensor): (B, N, Q, Z, 2) normalised projections
                (:func:`reference_points_cam`).
            bev_mask (Tensor): (B, N, Q, Z) bool, valid projections.

        Returns:
            Tensor: (B, Q, C) updated queries (with the residual); queries hitting no view get
            only the residual.
        """
        bs, num_q, dims = query.shape
        num_views, num_keys = value.shape[1], value.shape[2]
        heads, levels, pts, num_z = self.num_heads, self.num_levels, self.num_points, self.num_z
        hit = bev_mask.any(-1)  # (B, N, Q)
        index = [hit[b, n].nonzero().squeeze(-1) for b in range(bs) for n in range(num_views)]
        max_len = max(1, max(int(i.numel()) for i in index))
        q = query + query_pos
        q_r = q.new_zeros(bs * num_views, max_len, dims)
        ref_r = ref_cam.new_zeros(bs * num_views, max_len, num_z, 2)
        for k, idx in enumerate(index):
            b, n = divmod(k, num_views)
            q_r[k, :idx.numel()] = q[b, idx]
            ref_r[k, :idx.numel()] = ref_cam[b, n, idx]
        offsets = self.sampling_offsets(q_r).view(bs * num_views, max_len, heads, levels,
                                                  pts // num_z, num_z, 2)
        offsets = offsets / torch.stack([spatial_shapes[:, 1], spatial_shapes[:, 0]],
                                        -1).to(offsets).view(1, 1, 1, levels, 1, 1, 2)
        locs = (ref_r.view(bs * num_views, max_len, 1, 1, 1, num_z, 2) + offsets).view(
            bs * num_views, max_len, heads, levels, pts, 2)
        weights = self.attention_weights(q_r).view(bs * num_views, max_len, heads,
                                                   levels * pts).softmax(-1)
        weights = weights.view(bs * num_views, max_len, heads, levels, pts)
        v = self.value_proj(value).view(bs * num_views, num_keys, heads, dims // heads)
        out = deformable_attention(v, spatial_shapes, level_start_index, locs, weights)
        slots = query.new_zeros(bs, num_q, dims)
        for k, idx in enumerate(index):
            slots[k // num_views].index_add_(0, idx, out[k, :idx.numel()])
        count = hit.sum(1).clamp(min=1).to(slots).unsqueeze(-1)  # (B, Q, 1)
        return query + self.dropout(self.output_proj(slots / count))
