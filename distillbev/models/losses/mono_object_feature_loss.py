# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDistill object-level feature distillation inside the 2D GT boxes."""
from typing import Sequence, Union

from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import (as_list, broadcast_levels, check_same_shape, check_spatial, no_autocast,
                    synced_count, synced_world_size, zero_like_loss)


@MODELS.register_module()
class MonoObjectFeatureLoss(nn.Module):
    """Feature imitation restricted to the objects' image regions, level by level.

    MonoDistill (Chong et al., "MonoDistill: Learning Spatial Features for Monocular 3D Object
    Detection", ICLR 2022), object level: at each distilled backbone level ``l`` (strides 8,
    16, 32), with ``M_l`` (B, 1, H, W) the 2D GT-box mask of that stride (``Box2DMask``), times
    ``[teacher feature vector != 0]`` when ``nonzero_teacher``, and ``N_l = sum M_l``:

        ``L = loss_weight * sum_l  sum_{b,h,w} M_l * mean_c e(F_s - F_t) / (B * max(1, N_l))``

    with ``e(x) = x^2 / 2`` (``criterion='mse'``, ``half=True``: the official "l1" loss is a
    half squared error) or ``|x|`` (``'l1'``). The official code divides by ``N_l`` unclamped
    (NaN for a batch without objects); here a batch without objects gives 0. Under DDP
    (``sync_normalizer``) ``N_l`` is averaged over ranks and B is the global batch.
    MonoDistill weight: 10. Same value as ``MaskedFeatureMimicLoss(loss_type='mse', half=True,
    normalize='mask_sum_and_batch', nonzero_teacher=True)`` summed over levels.

    Args:
        criterion (str): ``'mse'`` or ``'l1'``. Defaults to 'mse'.
        half (bool): halve the element error. Defaults to True.
        nonzero_teacher (bool): drop cells where the teacher vector is all zero. Defaults to True.
        sync_normalizer (bool): DDP-global normalisers. Defaults to True.
        loss_weight (float): Defaults to 10.0.
    """

    def __init__(self, criterion: str = 'mse', half: bool = True, nonzero_teacher: bool = True,
                 sync_normalizer: bool = True, loss_weight: float = 10.0) -> None:
        super().__init__()
        if criterion not in ('mse', 'l1'):
            raise ValueError(f"criterion must be 'mse' or 'l1'; got {criterion!r}")
        self.criterion, self.half, self.nonzero_teacher = criterion, half, nonzero_teacher
        self.sync_normalizer, self.loss_weight = sync_normalizer, float(loss_weight)

    def forward(self, s_feats: Union[Tensor, Sequence[Tensor]],
                t_feats: Union[Tensor, Sequence[Tensor]],
                masks: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Sum of the per-level losses.

        Args:
            s_feats (Tensor | list[Tensor]): student maps (B, C_l, H_l, W_l) (after adapters).
            t_feats (Tensor | list[Tensor]): teacher maps, same shapes (detached here).
            masks (Tensor | list[Tensor]): (B, 1, H_l, W_l) 0/1 masks, one per level.

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        s_list, t_list = as_list(s_feats), as_list(t_feats)
        if len(s_list) != len(t_list):
            raise ValueError(f'MonoObjectFeatureLoss: {len(s_list)} student levels vs '
                             f'{len(t_list)} teacher levels')
        m_list = broadcast_levels(masks, len(s_list), 'masks')
        with no_autocast(s_list[0]):
            total = zero_like_loss(s_list)
            for s, t, m in zip(s_list, t_list, m_list):
                check_same_shape(s, t, 'MonoObjectFeatureLoss')
                check_spatial(m, s, 'MonoObjectFeatureLoss mask')
                s, t = s.float(), t.detach().float()
                err = (s - t) ** 2 if self.criterion == 'mse' else (s - t).abs()
                if self.half:
                    err = err * 0.5
                w = m.detach().float()
                if self.nonzero_teacher:
                    w = w * (t != 0).any(dim=1, keepdim=True).float()
                count = synced_count(w.sum(), self.sync_normalizer).clamp(min=1.0)
                bsz = s.shape[0] * synced_world_size(self.sync_normalizer)
                total = total + (err.mean(dim=1, keepdim=True) * w).sum() / (count * bsz)
        return total * self.loss_weight

    def extra_repr(self) -> str:
        return (f'criterion={self.criterion!r}, half={self.half}, '
                f'nonzero_teacher={self.nonzero_teacher}, loss_weight={self.loss_weight}')
