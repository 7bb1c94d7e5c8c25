# Copyright (c) distillbev contributors. All rights reserved.
"""MonoMMKD's DualKL: dynamically balanced forward / reverse KL with depth-uncertainty weights
(reconstructed)."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import as_list, broadcast_levels, check_same_shape, no_autocast, zero_like_loss


def adaptive_kl_share(p_t: Tensor, p_s: Tensor, head_ratio: float) -> Tensor:
    """Forward-KL share ``mu = g_head / (g_head + g_tail)`` per distribution (last dim).

    The head is the teacher's most probable entries up to cumulative probability ``head_ratio``
    (the entry that crosses it included); ``g = sum |p_t - p_s|`` over the head / the tail. 0.5
    when both gaps are 0. Detached.
    """
    p_t, p_s = p_t.detach(), p_s.detach()
    sorted_t, order = p_t.sort(dim=-1, descending=True)
    head_sorted = (sorted_t.cumsum(-1) - sorted_t) < head_ratio
    head = torch.zeros_like(head_sorted).scatter(-1, order, head_sorted)
    gap = (p_t - p_s).abs()
    g_head = (gap * head).sum(-1)
    g_tail = (gap * ~head).sum(-1)
    total = g_head + g_tail
    return torch.where(total > 0, g_head / total.clamp(min=1e-12), torch.full_like(total, 0.5))


@MODELS.register_module()
class DualKLLoss(nn.Module):
    """Forward and reverse KL between teacher and student distributions, balanced per
    distribution, with a per-location (depth-uncertainty) weight.

    MonoMMKD (2025; no code released, paper text not available) — what is the paper's (abstract
    and framework figure): a "DualKL" that dynamically balances the forward KL
    ``KL(P_T || P_S)`` (mean-seeking) and the reverse KL ``KL(P_S || P_T)`` (mode-seeking)
    between teacher and student intermediate features (three levels), with weights from the
    depth uncertainty of the student's depth branch. What is **ours**:

    - distributions: ``softmax_over='spatial'`` (default): per channel a softmax over the
      ``H W`` locations at temperature ``tau`` (channel-wise distillation, Shu et al. ICCV 2021);
      ``'channel'``: per location a softmax over channels (e.g. depth-bin logits of two depth
      branches);
    - balance (``'adaptive'``, from Adaptive KL, Wu et al. 2024): per distribution
      ``mu = g_head / (g_head + g_tail)`` (:func:`adaptive_kl_share`, detached) and
      ``L = mu FKL + (1 - mu) RKL``; ``'fixed'``: ``mu = alpha``;
    - uncertainty weights ``w`` (B, 1, h, w) (``DepthUncertaintyWeight``; resized bilinearly to
      each level): ``weight_on='kl'`` (default) multiplies each location's KL summand,
      ``sum_i w_i p_i log(p_i / q_i)``; ``'features'`` multiplies both feature maps before the
      softmax (the figure's Hadamard product). ``mu`` uses the unweighted distributions.

    Reduction: per level ``tau^2 * mean over distributions (B C for 'spatial', B h w for
    'channel') of the sum over the softmax axis``; summed over levels; times ``loss_weight``.
    Zero weights give 0; finite for any input (log-softmax, no division by a count).

    Args:
        tau (float): temperature. Defaults to 1.0.
        softmax_over (str): ``'spatial'`` or ``'channel'``. Defaults to 'spatial'.
        balance (str): ``'adaptive'`` or ``'fixed'``. Defaults to 'adaptive'.
        alpha (float): forward-KL share when ``balance='fixed'``. Defaults to 0.5.
        head_ratio (float): teacher mass of the head (adaptive). Defaults to 0.5.
        weight_on (str): ``'kl'`` or ``'features'``. Defaults to 'kl'.
        loss_weight (float): Defaults to 1.0 (MonoMMKD's weight is not public).
    """

    def __init__(self, tau: float = 1.0, softmax_over: str = 'spatial',
                 balance: str = 'adaptive', alpha: float = 0.5, head_ratio: float = 0.5,
                 weight_on: str = 'kl', loss_weight: float = 1.0) -> None:
        super().__init__()
        for name, value, allowed in (('softmax_over', softmax_over, ('spatial', 'channel')),
                                     ('balance', balance, ('adaptive', 'fixed')),
                                     ('weight_on', weight_on, ('kl', 'features'))):
            if value not in allowed:
                raise ValueError(f'DualKLLoss: {name} must be one of {allowed}; got {value!r}')
        if tau <= 0:
            raise ValueError(f'DualKLLoss: tau must be > 0; got {tau}')
        self.tau, self.softmax_over, self.balance = float(tau), softmax_over, balance
        self.alpha, self.head_ratio, self.weight_on = float(alpha), float(head_ratio), weight_on
        self.loss_weight = float(loss_weight)

    def _level(self, s: Tensor, t: Tensor, w: Optional[Tensor]) -> Tensor:
        b, c, h, wd = s.shape
        if w is not None:
            if w.dim() != 4 or w.shape[0] != b or w.shape[1] != 1:
                raise ValueError(f'DualKLLoss: weight must be (B, 1, h, w); got {tuple(w.shape)}')
            if w.shape[-2:] != s.shape[-2:]:
                w = F.interpolate(w, size=(h, wd), mode='bilinear', align_corners=False)
            if self.weight_on == 'features':
                s, t, w = s * w, t * w, None
        dim = -1 if self.softmax_over == 'spatial' else 1
        if self.softmax_over == 'spatial':
            s, t = s.reshape(b, c, h * wd), t.reshape(b, c, h * wd)
            w = None if w is None else w.reshape(b, 1, h * wd)
        log_q = F.log_softmax(s / self.tau, dim=dim)  # student
        log_p = F.log_softmax(t / self.tau, dim=dim)  # teacher
        p, q = log_p.exp(), log_q.exp()
        fkl, rkl = p * (log_p - log_q), q * (log_q - log_p)
        if w is not None:
            fkl, rkl = fkl * w, rkl * w
        fkl, rkl = fkl.sum(dim), rkl.sum(dim)
        if self.balance == 'adaptive':
            mu = adaptive_kl_share(p.movedim(dim, -1), q.movedim(dim, -1), self.head_ratio)
        else:
            mu = torch.full_like(fkl, self.alpha)
        return (mu * fkl + (1.0 - mu) * rkl).mean() * self.tau ** 2

    def forward(self, s_feats: Union[Tensor, Sequence[Tensor]],
                t_feats: Union[Tensor, Sequence[Tensor]],
                weight: Optional[Union[Tensor, Sequence[Tensor]]] = None) -> Tensor:
        """Sum of the per-level losses.

        Args:
            s_feats (Tensor | list[Tensor]): student maps (B, C, h, w) (after adapters).
            t_feats (Tensor | list[Tensor]): teacher maps, same shapes (detached here).
            weight (Tensor | list[Tensor], optional): (B, 1, h', w') weights, one for all
                levels or one per level; None: uniform.

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        s_list, t_list = as_list(s_feats), as_list(t_feats)
        if len(s_list) != len(t_list):
            raise ValueError(f'DualKLLoss: {len(s_list)} student and {len(t_list)} teacher '
                             f'levels')
        w_list = broadcast_levels(weight, len(s_list), 'weight')
        with no_autocast(s_list[0]):
            total = zero_like_loss(s_list)
            for i, (s, t, w) in enumerate(zip(s_list, t_list, w_list)):
                check_same_shape(s, t, f'DualKLLoss level {i}')
                total = total + self._level(s.float(), t.detach().float(),
                                            None if w is None else w.detach().float())
        return total * self.loss_weight

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, softmax_over={self.softmax_over!r}, '
                f'balance={self.balance!r}, weight_on={self.weight_on!r}, '
                f'loss_weight={self.loss_weight}')
