# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDistill object-level response distillation on the CenterNet3D head maps."""
from typing import Dict, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import check_spatial, no_autocast, synced_count, zero_like_loss

DEFAULT_KEYS = ('offset_2d', 'size_2d', 'offset_3d', 'size_3d', 'depth')


def _gather(feat: Tensor, indices: Tensor) -> Tensor:
    """(B, C, H, W), (B, K) flat cell indices -> (B, K, C)."""
    b, c = feat.shape[:2]
    flat = feat.reshape(b, c, -1).transpose(1, 2)
    return flat.gather(1, indices.long().unsqueeze(-1).expand(-1, -1, c))


@MODELS.register_module()
class MonoHeadResponseLoss(nn.Module):
    """L1 on the regression maps inside the objects' windows + heading KL at the object cells.

    MonoDistill (Chong et al., "MonoDistill: Learning Spatial Features for Monocular 3D Object
    Detection", ICLR 2022), object-level response distillation on MonoDLE's head outputs
    (raw maps, before any transform; the heatmap is not distilled). With ``M`` (B, 1, H, W) the
    2D-centre windows (``Center2DWindow``):

    - for each key (``offset_2d``, ``size_2d``, ``offset_3d``, ``size_3d`` and channel 0 of
      ``depth``: the depth logit; the log-variance is not distilled), the mean L1 over the
      masked elements: ``sum M |S - T| / (C * max(1, sum M))`` (0 without objects);
    - heading (``num_bins`` logits then ``num_bins`` residuals) at the K object slots
      ``indices``: ``KL(softmax(T_bin) || softmax(S_bin))`` averaged over every element
      (B * K * num_bins, PyTorch's ``reduction='mean'`` of the official code; ``'batchmean'``
      divides the sum by the number of slots instead) + the mean L1 between the residuals at
      the GT bin (``heading_bin``; the teacher's arg-max bin if not given).
      ``mask_padded=False`` keeps the zero-padded slots (all at cell 0), as the official code;
      True averages over the ``valid`` slots only.

    ``L = loss_weight * sum_terms w_term * term`` (``term_weights``, default 1 each; MonoDistill
    adds this sum with weight 1 to the detection loss, next to the object-level feature loss
    (weight 10) and the affinity loss (weight 1)).

    Args:
        keys (Sequence[str]): regression maps compared with the L1. Defaults to the five above.
        channels (dict, optional): key -> channel indices kept; defaults to ``{'depth': [0]}``.
        heading_key (str, optional): the heading map's key; None skips the heading terms.
        num_bins (int): heading bins. Defaults to 12.
        kl_reduction (str): ``'mean'`` (code) or ``'batchmean'``. Defaults to 'mean'.
        mask_padded (bool): drop padded slots from the heading terms. Defaults to False.
        term_weights (dict, optional): per-term weights (keys and ``'heading_cls'``,
            ``'heading_res'``).
        sync_normalizer (bool): DDP-average the window count. Defaults to True.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, keys: Sequence[str] = DEFAULT_KEYS,
                 channels: Optional[Mapping[str, Sequence[int]]] = None,
                 heading_key: Optional[str] = 'heading', num_bins: int = 12,
                 kl_reduction: str = 'mean', mask_padded: bool = False,
                 term_weights: Optional[Mapping[str, float]] = None,
                 sync_normalizer: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        if kl_reduction not in ('mean', 'batchmean'):
            raise ValueError(f"kl_reduction must be 'mean' or 'batchmean'; got {kl_reduction!r}")
        self.keys = tuple(keys)
        self.channels = {'depth': [0]} if channels is None else \
            {k: list(v) for k, v in channels.items()}
        self.heading_key, self.num_bins = heading_key, int(num_bins)
        self.kl_reduction, self.mask_padded = kl_reduction, mask_padded
        self.term_weights = dict(term_weights or {})
        self.sync_normalizer, self.loss_weight = sync_normalizer, float(loss_weight)

    def _w(self, term: str) -> float:
        return float(self.term_weights.get(term, 1.0))

    def forward(self, s_preds: Dict[str, Tensor], t_preds: Dict[str, Tensor], mask: Tensor,
                indices: Optional[Tensor] = None, valid: Optional[Tensor] = None,
                heading_bin: Optional[Tensor] = None) -> Tensor:
        """Args:
            s_preds (dict[str, Tensor]): student head maps (B, C_k, H, W) (``MonoDLEHead``).
            t_preds (dict[str, Tensor]): teacher head maps, same keys and shapes.
            mask (Tensor): (B, 1, H, W) windows.
            indices (Tensor, optional): (B, K) flat cells ``y W + x`` of the object slots
                (needed for the heading terms).
            valid (Tensor, optional): (B, K) bool, the filled slots.
            heading_bin (Tensor, optional): (B, K) GT heading bins.

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        used = [s_preds[k] for k in self.keys]
        with no_autocast(used[0] if used else mask):
            total = zero_like_loss(used) if used else mask.new_zeros((), dtype=torch.float32)
            m = mask.detach().float()
            count = synced_count(m.sum(), self.sync_normalizer).clamp(min=1.0)
            for key in self.keys:
                s, t = s_preds[key].float(), t_preds[key].detach().float()
                if s.shape != t.shape:
                    raise ValueError(f'MonoHeadResponseLoss: {key} student {tuple(s.shape)} vs '
                                     f'teacher {tuple(t.shape)}')
                check_spatial(mask, s, f'MonoHeadResponseLoss mask ({key})')
                if key in self.channels:
                    s, t = s[:, self.channels[key]], t[:, self.channels[key]]
                term = ((s - t).abs() * m).sum() / (count * s.shape[1])
                total = total + self._w(key) * term
            if self.heading_key is not None:
                if indices is None:
                    raise ValueError('MonoHeadResponseLoss: the heading terms need indices '
                                     '(Center2DWindow output); or set heading_key=None')
                total = total + self._heading(s_preds[self.heading_key].float(),
                                              t_preds[self.heading_key].detach().float(),
                                              indices, valid, heading_bin)
        return total * self.loss_weight

    def _heading(self, s: Tensor, t: Tensor, indices: Tensor, valid: Optional[Tensor],
                 heading_bin: Optional[Tensor]) -> Tensor:
        nb = self.num_bins
        s_k, t_k = _gather(s, indices), _gather(t, indices)  # (B, K, 2 nb)
        slots = torch.ones(indices.shape, dtype=torch.bool, device=s.device)
        if self.mask_padded and valid is not None:
            slots = valid.bool()
        s_k, t_k = s_k[slots], t_k[slots]  # (N, 2 nb)
        if s_k.shape[0] == 0:
            return s.sum() * 0.0
        kl = F.kl_div(F.log_softmax(s_k[:, :nb], dim=-1), F.softmax(t_k[:, :nb], dim=-1),
                      reduction=self.kl_reduction)
        bins = t_k[:, :nb].argmax(-1) if heading_bin is None else heading_bin.long()[slots]
        s_res = s_k[:, nb:].gather(1, bins[:, None])
        t_res = t_k[:, nb:].gather(1, bins[:, None])
        return self._w('heading_cls') * kl + self._w('heading_res') * (s_res - t_res).abs().mean()

    def extra_repr(self) -> str:
        return (f'keys={self.keys}, heading_key={self.heading_key!r}, num_bins={self.num_bins}, '
                f'kl_reduction={self.kl_reduction!r}, mask_padded={self.mask_padded}, '
                f'loss_weight={self.loss_weight}')
