# Copyright (c) distillbev contributors. All rights reserved.
"""UniDistill relation distillation among the 9 BEV keypoints of each GT box."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import check_layout, check_same_shape, keypoint_box_loss, sample_points


@MODELS.register_module()
class KeypointRelationLoss(nn.Module):
    """Relation (cosine-similarity matrix) imitation among box keypoints.

    UniDistill (Zhou et al., "UniDistill: A Universal Cross-Modality Knowledge Distillation
    Framework for 3D Object Detection in Bird's-Eye View", CVPR 2023) samples the high-level
    BEV features (512 channels, after the BEV backbone) at the 9 keypoints of every GT box,
    L2-normalises each sampled vector (``f / max(||f||, eps)``), forms the P x P relation
    matrix ``R_j = F_j F_j^T`` per box, and computes

        ``L = loss_weight * (1 / N) * sum_j mean_{k,k'} |R^S_j[k, k'] - R^T_j[k, k']|``

    over the N valid boxes (normaliser as in ``KeypointFeatureLoss``; 0 without boxes).
    UniDistill weight: 40 (camera <- LiDAR).

    Args:
        eps (float): normalisation epsilon. Defaults to 1e-4.
        criterion (str): ``'l1'`` (UniDistill) or ``'mse'``. Defaults to 'l1'.
        align_corners (bool): ``grid_sample`` option; must match ``BoxKeypoints``.
        layout (str): ``'yx'`` for (B, C, Y, X) maps, ``'xy'`` for (B, C, X, Y).
        sync_normalizer (bool): average the box count over DDP ranks. Defaults to True.
        loss_weight (float): multiplier of the result. Defaults to 40.0.
    """

    def __init__(self,
                 eps: float = 1e-4,
                 criterion: str = 'l1',
                 align_corners: bool = False,
                 layout: str = 'yx',
                 sync_normalizer: bool = True,
                 loss_weight: float = 40.0) -> None:
        super().__init__()
        if criterion not in ('l1', 'mse'):
            raise ValueError(f"criterion must be 'l1' or 'mse'; got {criterion!r}")
        check_layout(layout)
        self.eps = float(eps)
        self.criterion = criterion
        self.align_corners = align_corners
        self.layout = layout
        self.sync_normalizer = sync_normalizer
        self.loss_weight = float(loss_weight)

    def _relation(self, feat: Tensor, keypoints: Tensor) -> Tensor:
        f = sample_points(feat, keypoints, self.align_corners, self.layout)  # (B, C, M, P)
        f = F.normalize(f.permute(0, 2, 3, 1), dim=-1, eps=self.eps)  # (B, M, P, C)
        return f @ f.transpose(-1, -2)  # (B, M, P, P)

    def forward(self,
                s_feat: Tensor,
                t_feat: Tensor,
                keypoints: Tensor,
                valid: Optional[Tensor] = None) -> Tensor:
        """Loss of a batch.

        Args:
            s_feat (Tensor): (B, C, Y, X) student BEV features.
            t_feat (Tensor): (B, C, Y, X) teacher BEV features.
            keypoints (Tensor): (B, M, P, 2) normalised (x, y) sampling points.
            valid (Tensor, optional): (B, M) bool; all True if None.

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        check_same_shape(s_feat, t_feat, 'KeypointRelationLoss')

        def per_box() -> Tensor:
            rs = self._relation(s_feat, keypoints)
            with torch.no_grad():
                rt = self._relation(t_feat.detach(), keypoints)
            err = (rs - rt).abs() if self.criterion == 'l1' else (rs - rt) ** 2
            return err.mean(dim=(2, 3))  # (B, M, P, P) -> (B, M)

        loss = keypoint_box_loss(s_feat, keypoints, valid, per_box, self.sync_normalizer)
        return loss * self.loss_weight

    def extra_repr(self) -> str:
        return (f'eps={self.eps}, criterion={self.criterion!r}, layout={self.layout!r}, '
                f'loss_weight={self.loss_weight}')
