# Copyright (c) distillbev contributors. All rights reserved.
"""UniDistill relation distillation among the 9 BEV keypoints of each GT box."""
import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor

from .keypoint_box_base import KeypointBoxLoss
from .utils import sample_points


@MODELS.register_module()
class KeypointRelationLoss(KeypointBoxLoss):
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
        super().__init__(criterion, align_corners, layout, sync_normalizer, loss_weight)
        self.eps = float(eps)

    def _relation(self, feat: Tensor, keypoints: Tensor) -> Tensor:
        f = sample_points(feat, keypoints, self.align_corners, self.layout)  # (B, C, M, P)
        f = F.normalize(f.permute(0, 2, 3, 1), dim=-1, eps=self.eps)  # (B, M, P, C)
        return f @ f.transpose(-1, -2)  # (B, M, P, P)

    def per_box(self, s_feat: Tensor, t_feat: Tensor, keypoints: Tensor) -> Tensor:
        """Mean over keypoint pairs of the error of the relation matrices: (B, M)."""
        rs = self._relation(s_feat, keypoints)
        with torch.no_grad():
            rt = self._relation(t_feat, keypoints)
        err = (rs - rt).abs() if self.criterion == 'l1' else (rs - rt) ** 2
        return err.mean(dim=(2, 3))  # (B, M, P, P) -> (B, M)

    def extra_repr(self) -> str:
        return (f'eps={self.eps}, criterion={self.criterion!r}, layout={self.layout!r}, '
                f'loss_weight={self.loss_weight}')
