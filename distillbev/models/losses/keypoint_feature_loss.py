# Copyright (c) distillbev contributors. All rights reserved.
"""UniDistill feature distillation at the 9 BEV keypoints of each GT box."""
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor

from .keypoint_box_base import KeypointBoxLoss
from .utils import sample_points


@MODELS.register_module()
class KeypointFeatureLoss(KeypointBoxLoss):
    """Feature imitation at box keypoints.

    UniDistill (Zhou et al., "UniDistill: A Universal Cross-Modality Knowledge Distillation
    Framework for 3D Object Detection in Bird's-Eye View", CVPR 2023) samples the low-level BEV
    features (256 channels, before the BEV backbone) of student and teacher bilinearly at the 9
    keypoints of every GT box (``BoxKeypoints``) and computes

        ``L = loss_weight * (1 / N) * sum_j (1 / P) sum_k (1 / C) sum_c |f^S_jkc - f^T_jkc|``

    over the N valid boxes (P = 9 points, C channels; the teacher is detached). N is averaged
    over DDP ranks with ``sync_normalizer`` and clamped to 1e-4 (official: N + 1e-4), so the
    loss is 0 without boxes. UniDistill weight: 100 (camera <- LiDAR).

    Args:
        criterion (str): ``'l1'`` (UniDistill), ``'mse'`` or ``'smooth_l1'``. Defaults to 'l1'.
        align_corners (bool): ``grid_sample`` option; must match ``BoxKeypoints``.
            Defaults to False.
        layout (str): ``'yx'`` for (B, C, Y, X) maps (mmdet3d, distillbev), ``'xy'`` for
            (B, C, X, Y) maps. Defaults to 'yx'.
        sync_normalizer (bool): average the box count over DDP ranks. Defaults to True.
        loss_weight (float): multiplier of the result. Defaults to 100.0.
    """

    criteria = ('l1', 'mse', 'smooth_l1')
    default_loss_weight = 100.0

    def per_box(self, s_feat: Tensor, t_feat: Tensor, keypoints: Tensor) -> Tensor:
        """Mean over channels and keypoints of the error of the sampled features: (B, M)."""
        fs = sample_points(s_feat, keypoints, self.align_corners, self.layout)
        ft = sample_points(t_feat, keypoints, self.align_corners, self.layout)
        if self.criterion == 'l1':
            err = (fs - ft).abs()
        elif self.criterion == 'mse':
            err = (fs - ft) ** 2
        else:
            err = F.smooth_l1_loss(fs, ft, reduction='none')
        return err.mean(dim=(1, 3))  # (B, C, M, P) -> (B, M)

    def extra_repr(self) -> str:
        return (f'criterion={self.criterion!r}, align_corners={self.align_corners}, '
                f'layout={self.layout!r}, loss_weight={self.loss_weight}')
