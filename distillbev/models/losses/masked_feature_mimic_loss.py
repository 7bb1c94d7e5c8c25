# Copyright (c) distillbev contributors. All rights reserved.
"""Dense (optionally masked) feature imitation: CMKD's BEV feature loss."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import (as_list, broadcast_levels, check_same_shape, check_spatial, no_autocast,
                    synced_count, synced_world_size)

_NORMALIZE = ('numel', 'mask_sum', 'batch', 'mask_sum_and_batch')


@MODELS.register_module()
class MaskedFeatureMimicLoss(nn.Module):
    """Element-wise feature imitation between student and teacher maps.

    CMKD (Hong et al., "Cross-Modality Knowledge Distillation Network for Monocular 3D Object
    Detection", ECCV 2022) distils the BEV features before the BEV backbone with a plain MSE
    averaged over every element (B, C, H, W) and weight 32 (KITTI; 4 for PointPillars on KITTI
    train, 50 for CMKD-MV on nuScenes). The same class covers MonoDistill's object-level loss
    (``half=True``, mask = 2D boxes, ``nonzero_teacher=True``,
    ``normalize='mask_sum_and_batch'``, weight 10).

    With ``e[b, h, w] = reduce_c l(s - t)`` (``l`` = squared / absolute / smooth-L1 error,
    halved if ``half``; ``reduce_c`` = mean or sum over channels) and a weight map ``W``
    (``mask``, times ``[any_c t != 0]`` if ``nonzero_teacher``; cells where W is 0 get
    ``bg_weight`` if given; all ones without mask), the loss of one level is
    ``loss_weight * sum_{b,h,w} W e / D`` with

    - ``'numel'``: ``D = B * H * W``  (unmasked: the mean over all elements; CMKD),
    - ``'mask_sum'``: ``D = max(1, sum W)``  (CMKD with a mask: mean * numel / sum(mask)),
    - ``'batch'``: ``D = B``,
    - ``'mask_sum_and_batch'``: ``D = B * max(1, sum W)`` (MonoDistill).

    Lists of levels are summed. Under DDP (``sync_normalizer``), ``sum W`` is averaged over the
    ranks and ``B`` is the global batch, so that the gradient DDP averages equals the gradient of
    one process holding the whole global batch ('numel' and 'batch' already are).

    Args:
        loss_type (str): ``'mse'``, ``'l1'`` or ``'smooth_l1'`` (beta 1). Defaults to 'mse'.
        half (bool): multiply the element loss by 0.5. Defaults to False.
        channel_reduce (str): ``'mean'`` or ``'sum'`` over channels. Defaults to 'mean'.
        normalize (str): one of the modes above. Defaults to 'numel'.
        nonzero_teacher (bool): zero the weight where the teacher feature vector is all zero.
        bg_weight (float, optional): weight of the cells where ``W`` is 0 (CMKD's
            ``use_nonzero_mask``: ``nonzero_teacher=True, bg_weight=0.05``). Defaults to None.
        sync_normalizer (bool): normalise with the counts of all DDP ranks. Defaults to True.
        loss_weight (float): multiplier of the result. Defaults to 1.0.
    """

    def __init__(self,
                 loss_type: str = 'mse',
                 half: bool = False,
                 channel_reduce: str = 'mean',
                 normalize: str = 'numel',
                 nonzero_teacher: bool = False,
                 bg_weight: Optional[float] = None,
                 sync_normalizer: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.sync_normalizer = sync_normalizer
        if loss_type not in ('mse', 'l1', 'smooth_l1'):
            raise ValueError(f"loss_type must be 'mse', 'l1' or 'smooth_l1'; got {loss_type!r}")
        if channel_reduce not in ('mean', 'sum'):
            raise ValueError(f"channel_reduce must be 'mean' or 'sum'; got {channel_reduce!r}")
        if normalize not in _NORMALIZE:
            raise ValueError(f'normalize must be one of {_NORMALIZE}; got {normalize!r}')
        self.loss_type = loss_type
        self.half = half
        self.channel_reduce = channel_reduce
        self.normalize = normalize
        self.nonzero_teacher = nonzero_teacher
        self.bg_weight = bg_weight
        self.loss_weight = float(loss_weight)

    def forward(self,
                s_feat: Union[Tensor, Sequence[Tensor]],
                t_feat: Union[Tensor, Sequence[Tensor]],
                mask: Optional[Union[Tensor, Sequence[Tensor]]] = None) -> Tensor:
        """Loss of one or several levels.

        Args:
            s_feat (Tensor | list[Tensor]): student features (B, C, H, W) (after the adapter).
            t_feat (Tensor | list[Tensor]): teacher features, same shapes (detached here).
            mask (Tensor | list[Tensor], optional): (B, 1, H, W) weights per level (or one
                mask for all levels).

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        s_list, t_list = as_list(s_feat), as_list(t_feat)
        if len(s_list) != len(t_list):
            raise ValueError(f'{len(s_list)} student levels but {len(t_list)} teacher levels')
        masks = broadcast_levels(mask, len(s_list), 'mask')
        with no_autocast(s_list[0]):
            total = s_list[0].new_zeros((), dtype=torch.float32)
            for s, t, m in zip(s_list, t_list, masks):
                total = total + self._level(s, t, m)
        return total * self.loss_weight

    def _level(self, s: Tensor, t: Tensor, m: Optional[Tensor]) -> Tensor:
        check_same_shape(s, t, 'MaskedFeatureMimicLoss')
        check_spatial(m, s, 'MaskedFeatureMimicLoss mask')
        s, t = s.float(), t.detach().float()
        if self.loss_type == 'mse':
            err = (s - t) ** 2
        elif self.loss_type == 'l1':
            err = (s - t).abs()
        else:
            err = F.smooth_l1_loss(s, t, reduction='none', beta=1.0)
        if self.half:
            err = err * 0.5
        e = err.mean(dim=1, keepdim=True) if self.channel_reduce == 'mean' \
            else err.sum(dim=1, keepdim=True)
        w = torch.ones_like(e) if m is None else m.detach().float()
        if self.nonzero_teacher:
            w = w * (t != 0).any(dim=1, keepdim=True).float()
        if self.bg_weight is not None:
            w = torch.where(w > 0, w, torch.full_like(w, float(self.bg_weight)))
        num = (e * w).sum()
        bsz = float(s.shape[0])
        if self.normalize == 'numel':
            den = e.new_tensor(float(e.numel()))
        elif self.normalize == 'batch':
            den = e.new_tensor(bsz)
        elif self.normalize == 'mask_sum':
            den = synced_count(w.sum(), self.sync_normalizer).clamp(min=1.0)
        else:
            den = synced_count(w.sum(), self.sync_normalizer).clamp(min=1.0) * (
                bsz * synced_world_size(self.sync_normalizer))
        return num / den

    def extra_repr(self) -> str:
        return (f'loss_type={self.loss_type!r}, half={self.half}, '
                f'channel_reduce={self.channel_reduce!r}, normalize={self.normalize!r}, '
                f'loss_weight={self.loss_weight}')
