# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDistill scene-level affinity distillation."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import as_list, no_autocast


@MODELS.register_module()
class AffinityDistillLoss(nn.Module):
    """Imitation of the cell-to-cell affinity matrices of feature maps.

    MonoDistill (Chong et al., "MonoDistill: Learning Spatial Features for Monocular 3D Object
    Detection", ICLR 2022), scene level: every distilled level is resized (bilinear) to one size,
    ``(h, w)`` (the smallest level's, stride 32 in the paper: 12 x 40 = 480 cells), flattened to
    ``F`` (B, C, N) with N = h w, and its affinity ``A = F^T F`` (B, N, N) is compared between
    student and teacher:

        ``L = loss_weight * sum_l mean_{b,i,j} |A^S_l - A^T_l| / B``

    The official code uses raw dot products and divides the mean by the batch size once more
    (both kept as defaults: ``normalize=False``, ``batch_divide=True``); the paper defines
    ``A_ij`` with cosine normalisation ``f_i^T f_j / (||f_i|| ||f_j||)`` (``normalize=True``).
    Student and teacher may differ in channels (A is N x N). MonoDistill weight: 1.

    Args:
        resize_to (str | tuple): ``'smallest'`` (the smallest level of the teacher) or (h, w).
        normalize (bool): cosine affinities (paper) instead of dot products (code).
        criterion (str): ``'l1'`` (MonoDistill) or ``'mse'``.
        batch_divide (bool): divide by B after the mean (the official code). Defaults to True.
        eps (float): norm floor of the cosine. Defaults to 1e-6.
        loss_weight (float): multiplier of the result. Defaults to 1.0.
    """

    # the affinity matrices are N x N whatever the channels: student and teacher maps of the
    # same level may have different channels (read by the distiller's shape check)
    channelwise = False

    def __init__(self, resize_to: Union[str, Tuple[int, int]] = 'smallest',
                 normalize: bool = False, criterion: str = 'l1', batch_divide: bool = True,
                 eps: float = 1e-6, loss_weight: float = 1.0) -> None:
        super().__init__()
        if criterion not in ('l1', 'mse'):
            raise ValueError(f"criterion must be 'l1' or 'mse'; got {criterion!r}")
        if resize_to != 'smallest' and not (isinstance(resize_to, (tuple, list))
                                            and len(resize_to) == 2):
            raise ValueError(f"resize_to must be 'smallest' or (h, w); got {resize_to!r}")
        self.resize_to, self.normalize, self.criterion = resize_to, normalize, criterion
        self.batch_divide, self.eps, self.loss_weight = batch_divide, eps, loss_weight

    def affinity(self, feat: Tensor, size: Tuple[int, int]) -> Tensor:
        """(B, C, H, W) -> (B, N, N) affinity at ``size`` (N = h w)."""
        if tuple(feat.shape[-2:]) != tuple(size):
            feat = F.interpolate(feat, size=size, mode='bilinear', align_corners=False)
        f = feat.flatten(2)  # (B, C, N)
        if self.normalize:
            f = f / f.norm(dim=1, keepdim=True).clamp(min=self.eps)
        return f.transpose(1, 2) @ f

    def forward(self, s_feats: Union[Tensor, Sequence[Tensor]],
                t_feats: Union[Tensor, Sequence[Tensor]],
                size: Optional[Tuple[int, int]] = None) -> Tensor:
        """Sum over levels of the affinity error.

        Args:
            s_feats (Tensor | list[Tensor]): student maps (B, C_l, H_l, W_l), one per level.
            t_feats (Tensor | list[Tensor]): teacher maps (B, C'_l, H_l, W_l), same levels.
            size (tuple, optional): overrides ``resize_to``.

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        s_list, t_list = as_list(s_feats), as_list(t_feats)
        if len(s_list) != len(t_list):
            raise ValueError(f'AffinityDistillLoss: {len(s_list)} student levels vs '
                             f'{len(t_list)} teacher levels')
        if size is None:
            size = (min((tuple(t.shape[-2:]) for t in t_list), key=lambda hw: hw[0] * hw[1])
                    if self.resize_to == 'smallest' else tuple(self.resize_to))
        total = s_list[0].new_zeros((), dtype=torch.float32)
        with no_autocast(s_list[0]):
            for s, t in zip(s_list, t_list):
                a_s = self.affinity(s.float(), size)
                with torch.no_grad():
                    a_t = self.affinity(t.detach().float(), size)
                err = (a_s - a_t).abs() if self.criterion == 'l1' else (a_s - a_t) ** 2
                loss = err.mean()
                total = total + (loss / s.shape[0] if self.batch_divide else loss)
        return total * self.loss_weight

    def extra_repr(self) -> str:
        return (f'resize_to={self.resize_to!r}, normalize={self.normalize}, '
                f'criterion={self.criterion!r}, batch_divide={self.batch_divide}, '
                f'loss_weight={self.loss_weight}')
