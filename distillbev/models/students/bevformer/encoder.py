# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's encoder: BEV queries refined by TSA -> norm -> SCA -> norm -> FFN -> norm layers.

Li et al., ECCV 2022 (BEVFormer), Sec. 3.2. The encoder's forward output is the BEV map
(B, C, H, W) in the distillbev layout (row = y, col = x, row 0 at y_min), so a distiller tap on
``<student>.bev_encoder`` reads the BEV. The ego motion enters twice, as in the paper: the previous
BEV is aligned to the current cells (here a warp through ``curr2prev``, not BEVFormer's shifted
reference points), and with ``use_can_bus`` an MLP embedding of the CAN-bus vector (position and
heading deltas to the previous frame, orientation, acceleration, rotation rate, velocity) is added
to every BEV query (:class:`BEVQueries`).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmcv.cnn.bricks.transformer import FFN
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ....structures.bev_grid import BEVGrid
from .bev_queries import BEVQueries
from .deform_attn import level_layout
from .spatial_cross_attention import (BEVSpatialCrossAttention, pillar_points,
                                      reference_points_cam)
from .temporal_self_attention import BEVTemporalSelfAttention, align_prev_bev


@MODELS.register_module()
class BEVFormerEncoderLayer(BaseModule):
    """One encoder layer: TSA -> LayerNorm -> SCA -> LayerNorm -> FFN -> LayerNorm (post-norm).

    Args:
        embed_dims (int): C. Defaults to 256.
        num_heads (int): heads of both attentions. Defaults to 8.
        num_levels (int): image feature levels (SCA). Defaults to 4.
        tsa_points (int): TSA points per head and map. Defaults to 4.
        sca_points (int): SCA points per head and level. Defaults to 8.
        num_points_in_pillar (int): Z. Defaults to 4.
        feedforward_channels (int): FFN hidden size. Defaults to 512.
        dropout (float): attention / FFN dropout. Defaults to 0.1.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8, num_levels: int = 4,
                 tsa_points: int = 4, sca_points: int = 8, num_points_in_pillar: int = 4,
                 feedforward_channels: int = 512, dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.tsa = BEVTemporalSelfAttention(embed_dims, num_heads, tsa_points, dropout)
        self.sca = BEVSpatialCrossAttention(embed_dims, num_heads, num_levels, sca_points,
                                            num_points_in_pillar, dropout)
        self.ffn = FFN(embed_dims=embed_dims, feedforward_channels=feedforward_channels,
                       ffn_drop=dropout)
        self.norms = nn.ModuleList([nn.LayerNorm(embed_dims) for _ in range(3)])

    def forward(self, query: Tensor, query_pos: Tensor, ref_2d: Tensor, bev_shape: tuple,
                prev_bev: Optional[Tensor], has_prev: Optional[Tensor], value: Tensor,
                spatial_shapes: Tensor, level_start_index: Tensor, ref_cam: Tensor,
                bev_mask: Tensor) -> Tensor:
        """(B, Q, C) queries -> (B, Q, C); arguments as in TSA and SCA."""
        query = self.norms[0](self.tsa(query, query_pos, ref_2d, bev_shape, prev_bev, has_prev))
        query = self.norms[1](self.sca(query, query_pos, value, spatial_shapes,
                                       level_start_index, ref_cam, bev_mask))
        return self.norms[2](self.ffn(query))


@MODELS.register_module()
class BEVFormerEncoder(BaseModule):
    """Multi-view image features (+ the previous BEV) -> BEV map (B, C, H, W).

    Args:
        point_cloud_range (Sequence[float]): ``[x_min, y_min, z_min, x_max, y_max, z_max]``;
            x/y span the BEV, z the pillar heights.
        bev_shape (tuple[int, int]): (H, W), rows along y and columns along x.
        embed_dims (int): C. Defaults to 256.
        num_layers (int): encoder layers (published: tiny 3, small / base 6). Defaults to 6.
        num_cams (int): N, views (a learned embedding per view is added to its features).
        num_feature_levels (int): image levels (a learned embedding per level).
        num_points_in_pillar (int): Z. Defaults to 4.
        layer_cfg (dict, optional): extra :class:`BEVFormerEncoderLayer` arguments
            (``num_heads``, ``tsa_points``, ``sca_points``, ``feedforward_channels``,
            ``dropout``).
        use_can_bus (bool): add the CAN-bus MLP embedding to the queries (published: True);
            ``forward`` then needs ``can_bus``. Defaults to True.
        can_bus_norm (bool): the MLP ends with a LayerNorm (published: True). Defaults to True.
        can_bus_dims (int): length of the CAN-bus vector. Defaults to 18.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, point_cloud_range: Sequence[float], bev_shape: Tuple[int, int],
                 embed_dims: int = 256, num_layers: int = 6, num_cams: int = 6,
                 num_feature_levels: int = 4, num_points_in_pillar: int = 4,
                 layer_cfg: Optional[dict] = None, use_can_bus: bool = True,
                 can_bus_norm: bool = True, can_bus_dims: int = 18,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        pcr = [float(v) for v in point_cloud_range]
        self.bev_shape = (int(bev_shape[0]), int(bev_shape[1]))
        self.grid = BEVGrid(pcr, cell_size=((pcr[3] - pcr[0]) / self.bev_shape[1],
                                            (pcr[4] - pcr[1]) / self.bev_shape[0]))
        self.z_range = (pcr[2], pcr[5])
        self.embed_dims, self.num_points_in_pillar = embed_dims, num_points_in_pillar
        self.use_can_bus, self.can_bus_dims = bool(use_can_bus), int(can_bus_dims)
        self.bev_queries = BEVQueries(self.bev_shape, embed_dims, use_can_bus=use_can_bus,
                                      can_bus_norm=can_bus_norm, can_bus_dims=can_bus_dims)
        self.cams_embeds = nn.Parameter(torch.zeros(num_cams, embed_dims))
        self.level_embeds = nn.Parameter(torch.zeros(num_feature_levels, embed_dims))
        cfg = dict(layer_cfg or {})
        cfg.update(embed_dims=embed_dims, num_levels=num_feature_levels,
                   num_points_in_pillar=num_points_in_pillar)
        self.layers = nn.ModuleList([BEVFormerEncoderLayer(**cfg) for _ in range(num_layers)])
        self._reset()

    def _reset(self) -> None:
        nn.init.normal_(self.cams_embeds)
        nn.init.normal_(self.level_embeds)

    def init_weights(self) -> None:
        super().init_weights()
        self._reset()

    def ref_2d(self, device: torch.device) -> Tensor:
        """(H * W, 2) normalised cell centres ``((col + .5) / W, (row + .5) / H)`` (via BEVGrid)."""
        uv = self.grid.world_to_cell(self.grid.cell_centers(device=device)).flatten(0, 1)
        return uv / uv.new_tensor([self.grid.num_x, self.grid.num_y])

    def align_prev_bev(self, prev_bev: Tensor, curr2prev: Tensor) -> Tensor:
        """(B, C, H, W) previous BEV -> the same on the current cells (see ``align_prev_bev``)."""
        return align_prev_bev(prev_bev, curr2prev, self.grid)

    def forward(self, mlvl_feats: List[Tensor], cam_params: Dict[str, Tensor],
                img_shape: Tuple[int, int], prev_bev: Optional[Tensor] = None,
                curr2prev: Optional[Tensor] = None,
                has_prev: Optional[Tensor] = None,
                can_bus: Optional[Tensor] = None) -> Tensor:
        """The BEV of one frame.

        Args:
            mlvl_feats (list[Tensor]): per level (B, N, C, h_l, w_l) image features.
            cam_params (dict): camera geometry (``camera_params`` of the BEVDet students).
            img_shape (tuple[int, int]): (H, W) of the (padded) image tensor.
            prev_bev (Tensor, optional): (B, C, H, W) previous frame's BEV, in its own frame.
            curr2prev (Tensor, optional): (B, 4, 4) current -> previous LiDAR frame; needed
                with ``prev_bev``.
            has_prev (Tensor, optional): (B,) bool, samples with a real previous frame.
            can_bus (Tensor, optional): (B, can_bus_dims) CAN-bus vectors (delta form, see
                ``TemporalFrames``); required with ``use_can_bus``, ignored without.

        Returns:
            Tensor: (B, C, H, W) BEV features.
        """
        bs, num_views = mlvl_feats[0].shape[:2]
        device = mlvl_feats[0].device
        values = []
        for lvl, feat in enumerate(mlvl_feats):
            v = feat.flatten(3).transpose(2, 3)  # (B, N, h*w, C)
            values.append(v + self.cams_embeds[:num_views].view(1, num_views, 1, -1)
                          + self.level_embeds[lvl].view(1, 1, 1, -1))
        value = torch.cat(values, 2)
        shapes, starts = level_layout(tuple(tuple(f.shape[-2:]) for f in mlvl_feats), device)
        query, query_pos = self.bev_queries(bs, can_bus if self.use_can_bus else None)
        prev = None
        if prev_bev is not None:
            if curr2prev is None:
                raise ValueError('BEVFormerEncoder: prev_bev needs curr2prev (TemporalFrames).')
            prev = self.align_prev_bev(prev_bev, curr2prev.to(prev_bev)).flatten(2).transpose(1, 2)
        ref_2d = self.ref_2d(device)
        pillars = pillar_points(self.grid, self.num_points_in_pillar, self.z_range, device)
        ref_cam, mask = reference_points_cam(pillars, cam_params, img_shape)
        for layer in self.layers:
            query = layer(query, query_pos, ref_2d, self.bev_shape, prev, has_prev, value,
                          shapes, starts, ref_cam, mask)
        height, width = self.bev_shape
        return query.transpose(1, 2).reshape(bs, self.embed_dims, height, width)
