# Copyright (c) distillbev contributors. All rights reserved.
"""BEVDet4D / BEVDepth4D: the previous key frames' BEV, warped into the current frame."""
from typing import Dict, List, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor

from ...structures.bev_grid import BEVGrid
from .bevdet import BEVDepth, BEVDet


def warp_bev(prev_bev: Tensor, curr2prev: Tensor, grid: BEVGrid) -> Tensor:
    """Resample a previous frame's BEV map onto the current frame's cells.

    Args:
        prev_bev (Tensor): (B, C, Y, X) BEV of the previous frame (its augmented LiDAR frame).
        curr2prev (Tensor): (B, 4, 4) current -> previous (augmented) LiDAR frame.
        grid (BEVGrid): the BEV grid of both maps.

    Returns:
        Tensor: (B, C, Y, X); cell (y, x) holds the previous map at the place of the current
        cell centre (bilinear, zeros outside the previous map).
    """
    centres = grid.cell_centers(device=prev_bev.device, dtype=prev_bev.dtype)  # (Y, X, 2)
    m = curr2prev.to(prev_bev)
    xy = torch.einsum('bij,yxj->byxi', m[:, :2, :2], centres) + m[:, None, None, :2, 3]
    sample = grid.world_to_grid_sample(xy, align_corners=False)  # (B, Y, X, 2)
    return F.grid_sample(prev_bev, sample, mode='bilinear', padding_mode='zeros',
                         align_corners=False)


class _Temporal:
    """The temporal part shared by :class:`BEVDet4D` and :class:`BEVDepth4D`."""

    num_prev: int

    def extract_bev(self, batch_inputs_dict: dict,
                    batch_input_metas: List[dict]) -> Dict[str, Union[Tensor, Tuple]]:
        imgs = batch_inputs_dict['imgs']
        if imgs.dim() == 4:
            imgs = imgs.unsqueeze(1)
        img_shape = tuple(imgs.shape[-2:])
        cam = self.get_cam_params(batch_input_metas, imgs.shape[1], imgs.device)
        bev, depth = self.img_view_transformer(self.extract_img_feat(imgs), cam,
                                               img_shape=img_shape)
        grid = self.img_view_transformer.bev_grid
        prev_imgs = batch_inputs_dict.get('prev_imgs')
        frames = [bev]
        for k in range(self.num_prev):
            if prev_imgs is None or k >= len(prev_imgs):  # no history: repeat the current frame
                frames.append(bev.detach())
                continue
            metas = [m['prev_frames'][k] for m in batch_input_metas]
            with torch.no_grad():
                p_cam = self.get_cam_params(metas, prev_imgs[k].shape[1], imgs.device)
                p_bev, _ = self.img_view_transformer(self.extract_img_feat(prev_imgs[k]), p_cam,
                                                     img_shape=img_shape)
                m = torch.as_tensor(np.stack([np.asarray(meta['curr2prev'][k])
                                              for meta in batch_input_metas]),
                                    dtype=bev.dtype, device=bev.device)
                frames.append(warp_bev(p_bev, m, grid))
        neck = self.img_bev_encoder_neck(self.img_bev_encoder_backbone(torch.cat(frames, 1)))
        return dict(bev=bev, depth=depth, bev_feats=[neck], img_shape=img_shape)


@MODELS.register_module()
class BEVDet4D(_Temporal, BEVDet):
    """BEVDet4D (Huang and Huang, 2022): BEVDet whose BEV encoder takes the current frame's
    lift-splat BEV concatenated with the previous key frames', each computed without gradient
    (detached), and warped into the current frame through the ego motion and the shared BEV
    augmentation (``curr2prev`` from ``TemporalFrames``).

    Args:
        num_prev (int): previous key frames. The BEV encoder's ``in_channels`` must be the view
            transformer's ``out_channels * (1 + num_prev)``. Defaults to 1.
        **kwargs: see :class:`BEVDet`; ``data_preprocessor`` should be a
            ``TemporalDet3DDataPreprocessor``.
    """

    def __init__(self, num_prev: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_prev = num_prev


@MODELS.register_module()
class BEVDepth4D(_Temporal, BEVDepth):
    """BEVDepth4D: :class:`BEVDet4D` with BEVDepth's depth net and LiDAR depth loss (on the
    current frame).

    Args:
        num_prev (int): previous key frames. Defaults to 1.
        **kwargs: see :class:`BEVDepth`.
    """

    def __init__(self, num_prev: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_prev = num_prev
