# Copyright (c) distillbev contributors. All rights reserved.
"""Response distillation on CenterHead regression maps (CMKD / UniDistill)."""
from typing import Any, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from ..utils.head_outputs import check_conf_reduce, task_dicts, teacher_confidence
from .utils import check_spatial, no_autocast, synced_count


@MODELS.register_module()
class RegressionResponseLoss(nn.Module):
    """Dense regression KD over the CenterHead regression heads.

    For each task the maps named by ``keys`` are concatenated along channels (C channels, e.g.
    reg 2 + height 1 + dim 3 + rot 2 + vel 2 = 10) and compared element-wise with ``l`` =
    SmoothL1 (``beta``) or L1; the teacher maps are detached.

    ``weighting='teacher_conf'`` — CMKD (Hong et al., "Cross-Modality Knowledge Distillation
    Network for Monocular 3D Object Detection", ECCV 2022): per task
    ``w = h_t * [h_t > conf_thr]`` with ``h_t = sum_k sigmoid(t_heatmap_k)`` (``conf_reduce``,
    see ``TeacherConfidence``), normalised in one of the two official ways:

    - ``normalize='conf_cells'`` — CMKD-KITTI (``CenterHeadSoft``):

        ``L_task = scale * sum_{b,c,y,x} l * w / (C * max(1, N_conf))``,

      N_conf = #cells (over the batch) with ``h_t > conf_thr`` (all cells if ``conf_thr`` is
      None), i.e. ``scale`` times the mean over the confident cells and channels. CMKD parity
      (``4 * mean(SmoothL1 * h_t * 8)`` over 8 channels): ``scale=32, beta=1``, keys of the
      KITTI head, weight 1.
    - ``normalize='head_mean'`` — CMKD-MV (nuScenes, ``CMKD_BEVDet``): each regression head
      ``r`` (C_r channels) is averaged on its own over all its elements, without a threshold
      (``conf_thr=None``, ``conf_reduce='sigmoid_sum_logits'``):

        ``L_task = scale * sum_r mean_{b,c,y,x}(l_r * w)`` (the mean divides by B C_r Y X).

      CMKD-MV: ``scale=1``, weight 50.

    The loss is ``loss_weight * sum_task L_task``.

    ``weighting='gt_gaussian'`` — UniDistill (Zhou et al., "UniDistill: A Universal
    Cross-Modality Knowledge Distillation Framework for 3D Object Detection in Bird's-Eye View",
    CVPR 2023): all tasks' channels are concatenated (C_tot) and

        ``L = loss_weight * scale * sum_{b,y,x} mean_c(l) * G / max(1, sum G)``

    with G the GT Gaussian (``BEVBoxMask(mode='gaussian', min_overlap=0.7, min_radius=0)``).
    UniDistill: ``criterion='l1'``, weight 10. ``weighting='none'``: the same with G = 1
    everywhere (mean over all cells).

    Args:
        keys (Sequence[str]): regression maps to distil. Defaults to
            ``('reg', 'height', 'dim', 'rot', 'vel')`` (mmdet3d nuScenes CenterHead).
        criterion (str): ``'smooth_l1'`` or ``'l1'``. Defaults to 'smooth_l1'.
        beta (float): SmoothL1 beta. Defaults to 1.0.
        weighting (str): ``'teacher_conf'``, ``'gt_gaussian'`` or ``'none'``.
        conf_thr (float, optional): teacher-confidence threshold. Defaults to 0.1.
        conf_reduce (str): ``'sum'``, ``'max'`` or ``'sigmoid_sum_logits'``. Defaults to 'sum'.
        normalize (str): ``'conf_cells'`` (CMKD-KITTI) or ``'head_mean'`` (CMKD-MV); only for
            ``weighting='teacher_conf'``. Defaults to 'conf_cells'.
        scale (float): constant multiplier (CMKD parity 4 * C). Defaults to 1.0.
        teacher_is_prob (bool): teacher heatmaps are probabilities. Defaults to False.
        sync_normalizer (bool): average the counts (confident cells, Gaussian mask sum) over
            DDP ranks, so the gradient DDP averages equals one process holding the global batch.
            Defaults to True.
        loss_weight (float): multiplier of the result. Defaults to 1.0.
    """

    def __init__(self,
                 keys: Sequence[str] = ('reg', 'height', 'dim', 'rot', 'vel'),
                 criterion: str = 'smooth_l1',
                 beta: float = 1.0,
                 weighting: str = 'teacher_conf',
                 conf_thr: Optional[float] = 0.1,
                 conf_reduce: str = 'sum',
                 normalize: str = 'conf_cells',
                 scale: float = 1.0,
                 teacher_is_prob: bool = False,
                 sync_normalizer: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.sync_normalizer = sync_normalizer
        if criterion not in ('smooth_l1', 'l1'):
            raise ValueError(f"criterion must be 'smooth_l1' or 'l1'; got {criterion!r}")
        if weighting not in ('teacher_conf', 'gt_gaussian', 'none'):
            raise ValueError("weighting must be 'teacher_conf', 'gt_gaussian' or 'none'; "
                             f'got {weighting!r}')
        check_conf_reduce(conf_reduce)
        if normalize not in ('conf_cells', 'head_mean'):
            raise ValueError("normalize must be 'conf_cells' (CMKD-KITTI) or 'head_mean' "
                             f'(CMKD-MV); got {normalize!r}')
        if normalize == 'head_mean' and weighting != 'teacher_conf':
            raise ValueError(f"normalize='head_mean' is the CMKD-MV normaliser of "
                             f"weighting='teacher_conf'; with weighting={weighting!r} leave "
                             "normalize='conf_cells' (the default)")
        if len(keys) == 0:
            raise ValueError('keys must name at least one regression map')
        self.keys = tuple(keys)
        self.criterion = criterion
        self.beta = float(beta)
        self.weighting = weighting
        self.conf_thr = conf_thr
        self.conf_reduce = conf_reduce
        self.normalize = normalize
        self.scale = float(scale)
        self.teacher_is_prob = teacher_is_prob
        self.loss_weight = float(loss_weight)

    def _cat(self, d: dict, who: str) -> Tensor:
        missing = [k for k in self.keys if k not in d]
        if missing:
            raise KeyError(f'RegressionResponseLoss: {who} head output lacks {missing} '
                           f'(has {sorted(d)}); set keys=... to the head\'s regression maps')
        return torch.cat([d[k].float() for k in self.keys], dim=1)

    def _err(self, s: Tensor, t: Tensor) -> Tensor:
        if s.shape != t.shape:
            raise ValueError(f'RegressionResponseLoss: student {tuple(s.shape)} and teacher '
                             f'{tuple(t.shape)} regression maps differ')
        if self.criterion == 'l1':
            return (s - t).abs()
        return F.smooth_l1_loss(s, t, reduction='none', beta=self.beta)

    def forward(self,
                s_preds: Any,
                t_preds: Any,
                gt_mask: Optional[Tensor] = None,
                weight: Optional[List[Tensor]] = None) -> Tensor:
        """Loss of a batch.

        Args:
            s_preds (list[dict]): student CenterHead outputs; per task a dict with the ``keys``
                maps, e.g. ``reg`` (B, 2, Y, X), ``height`` (B, 1, Y, X), ``dim`` (B, 3, Y, X),
                ``rot`` (B, 2, Y, X), ``vel`` (B, 2, Y, X) (the raw ``CenterHead.forward``
                output is accepted).
            t_preds (list[dict]): teacher outputs, same structure; ``heatmap`` (B, K_t, Y, X)
                logits are needed for ``weighting='teacher_conf'``.
            gt_mask (Tensor, optional): (B, 1, Y, X) GT Gaussian (``'gt_gaussian'``).
            weight (list[Tensor], optional): per task (B, 1, Y, X) confidence weights that
                replace the ones computed from ``t_preds`` (``'teacher_conf'``).

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        s_dicts, t_dicts = task_dicts(s_preds), task_dicts(t_preds)
        if len(s_dicts) != len(t_dicts):
            raise ValueError(f'student has {len(s_dicts)} tasks but teacher {len(t_dicts)}')
        ref = s_dicts[0][self.keys[0]] if self.keys[0] in s_dicts[0] else None
        with no_autocast(ref if ref is not None else torch.empty(0)):
            errs = [self._err(self._cat(s, 'student'), self._cat(t, 'teacher').detach())
                    for s, t in zip(s_dicts, t_dicts)]
            if self.weighting == 'teacher_conf':
                sizes = [[s[k].shape[1] for k in self.keys] for s in s_dicts]
                loss = self._teacher_conf(errs, sizes, t_dicts, weight)
            else:
                loss = self._gaussian(errs, gt_mask)
        return loss * self.loss_weight

    def _teacher_conf(self, errs: List[Tensor], sizes: List[List[int]], t_dicts: List[dict],
                      weight: Optional[List[Tensor]]) -> Tensor:
        """Confidence-weighted sum over tasks (before ``loss_weight``).

        Args:
            errs (list[Tensor]): per task (B, C, Y, X) element-wise errors, the ``keys`` maps
                concatenated along C.
            sizes (list[list[int]]): per task the channels of each key (they sum to C).
            t_dicts (list[dict]): teacher outputs (``heatmap`` for the weights).
            weight (list[Tensor], optional): per task (B, 1, Y, X) weights; computed if None.

        Returns:
            Tensor: scalar float32.
        """
        if weight is None:
            weight = teacher_confidence(t_dicts, self.conf_thr, self.conf_reduce,
                                        self.teacher_is_prob)
        if len(weight) != len(errs):
            raise ValueError(f'{len(weight)} confidence maps for {len(errs)} tasks')
        total = errs[0].new_zeros(())
        for i, (e, w) in enumerate(zip(errs, weight)):
            check_spatial(w, e, 'RegressionResponseLoss weight')
            w = w.detach().float()
            if self.normalize == 'head_mean':
                total = total + sum((part * w).mean() for part in e.split(sizes[i], dim=1))
                continue
            if self.conf_thr is None:
                count = e.new_tensor(float(w.numel()))
            else:
                count = synced_count((w > 0).sum().float(), self.sync_normalizer).clamp(min=1)
            total = total + (e * w).sum() / (e.shape[1] * count)
        return total * self.scale

    def _gaussian(self, errs, gt_mask) -> Tensor:
        e = torch.cat(errs, dim=1).mean(dim=1, keepdim=True)
        if self.weighting == 'none':
            return e.mean() * self.scale
        if gt_mask is None:
            raise ValueError("RegressionResponseLoss(weighting='gt_gaussian') needs gt_mask "
                             '(B, 1, Y, X)')
        check_spatial(gt_mask, e, 'RegressionResponseLoss gt_mask')
        g = gt_mask.detach().float()
        return (e * g).sum() / synced_count(g.sum(), self.sync_normalizer).clamp(
            min=1.0) * self.scale

    def extra_repr(self) -> str:
        return (f'keys={self.keys}, criterion={self.criterion!r}, weighting={self.weighting!r}, '
                f'conf_thr={self.conf_thr}, normalize={self.normalize!r}, scale={self.scale}, '
                f'loss_weight={self.loss_weight}')
