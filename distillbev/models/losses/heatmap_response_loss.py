# Copyright (c) distillbev contributors. All rights reserved.
"""Response distillation on CenterHead heatmaps (CMKD quality focal / UniDistill max-class L1)."""
from typing import Any, Optional

import torch
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from ..utils.head_outputs import heatmap_prob, max_class_prob, task_heatmaps
from .utils import check_spatial, no_autocast, synced_count


@MODELS.register_module()
class HeatmapResponseLoss(nn.Module):
    """Heatmap response KD between student and teacher CenterHead outputs.

    Both heads are tapped at the CenterHead output, where heatmaps are **logits** (mmdet3d's
    ``CenterHead.loss_by_feat`` later replaces the student's ``heatmap`` entry in place by its
    clip-sigmoid: tap before it, or set ``student_is_prob=True``; never apply a second
    sigmoid).

    ``mode='qfl'`` — CMKD (Hong et al., "Cross-Modality Knowledge Distillation Network for
    Monocular 3D Object Detection", ECCV 2022, ``CenterHeadSoft``): per task,
    ``s = clamp(sigmoid(s_logit), 1e-4, 1 - 1e-4)``, ``p = sigmoid(t_logit / T)`` and

        ``L_task = sum_{b,k,y,x} BCE(s, p) * |s - p|^beta / max(1, #{p > pos_thr})``

    (the normaliser counts teacher positives over the whole batch and all classes of the task);
    the loss is ``loss_weight * sum_task L_task``. CMKD: ``beta=2, pos_thr=0.3``, weight 1
    (KITTI CenterPoint teacher); CMKD-MV: ``pos_thr=0.5``, weight 0.2.

    ``mode='l1_max_class'`` — UniDistill (Zhou et al., "UniDistill: A Universal Cross-Modality
    Knowledge Distillation Framework for 3D Object Detection in Bird's-Eye View", CVPR 2023):
    ``H_s = max_k clip_sigmoid(s_logit)``, ``H_t = max_k clip_sigmoid(t_logit / T)`` over all
    classes of all tasks (T = 2 on the teacher only), and

        ``L = loss_weight * sum_{b,y,x} |H_s - H_t| * G / max(1, sum G)``

    with G the GT Gaussian mask (``mask='gt_gaussian'``; ``BEVBoxMask(mode='gaussian',
    min_overlap=0.7, min_radius=0)``), or the mean over (B, Y, X) with ``mask='none'``.
    UniDistill weight 10.

    Args:
        mode (str): ``'qfl'`` or ``'l1_max_class'``. Defaults to 'qfl'.
        beta (float): QFL modulating exponent. Defaults to 2.0.
        pos_thr (float): QFL normaliser threshold on teacher probabilities. Defaults to 0.3.
        teacher_temperature (float): teacher logits are divided by it. Defaults to 1.0.
        student_is_prob (bool): student heatmaps are already probabilities. Defaults to False.
        teacher_is_prob (bool): teacher heatmaps are already probabilities (then the
            temperature must be 1). Defaults to False.
        mask (str): ``'none'`` or ``'gt_gaussian'`` (``l1_max_class`` only). Defaults to 'none'.
        sync_normalizer (bool): average the normalisers (teacher positives, Gaussian mask sum)
            over DDP ranks, so the gradient DDP averages equals one process holding the global
            batch. Defaults to True.
        loss_weight (float): multiplier of the result. Defaults to 1.0.
    """

    def __init__(self,
                 mode: str = 'qfl',
                 beta: float = 2.0,
                 pos_thr: float = 0.3,
                 teacher_temperature: float = 1.0,
                 student_is_prob: bool = False,
                 teacher_is_prob: bool = False,
                 mask: str = 'none',
                 sync_normalizer: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.sync_normalizer = sync_normalizer
        if mode not in ('qfl', 'l1_max_class'):
            raise ValueError(f"mode must be 'qfl' or 'l1_max_class'; got {mode!r}")
        if mask not in ('none', 'gt_gaussian'):
            raise ValueError(f"mask must be 'none' or 'gt_gaussian'; got {mask!r}")
        if mode == 'qfl' and mask != 'none':
            raise ValueError("mask='gt_gaussian' is only defined for mode='l1_max_class'")
        if teacher_is_prob and teacher_temperature != 1.0:
            raise ValueError('teacher_temperature needs teacher logits (teacher_is_prob=False)')
        self.mode = mode
        self.beta = float(beta)
        self.pos_thr = float(pos_thr)
        self.teacher_temperature = float(teacher_temperature)
        self.student_is_prob = student_is_prob
        self.teacher_is_prob = teacher_is_prob
        self.mask = mask
        self.loss_weight = float(loss_weight)

    def _student_prob(self, s: Tensor) -> Tensor:
        """(B, K, Y, X) student heatmap -> clip-sigmoid probabilities, float32 (keeps the graph)."""
        return heatmap_prob(s, self.student_is_prob)

    def _teacher_prob(self, t: Tensor, clip: bool) -> Tensor:
        """(B, K, Y, X) teacher heatmap -> detached probabilities at ``teacher_temperature``."""
        return heatmap_prob(t.detach(), self.teacher_is_prob, self.teacher_temperature, clip)

    def forward(self, s_preds: Any, t_preds: Any, gt_mask: Optional[Tensor] = None) -> Tensor:
        """Loss of a batch.

        Args:
            s_preds (list[dict] | list[Tensor] | Tensor): student CenterHead outputs: per task a
                dict with ``heatmap`` (B, K_t, Y, X) logits (or the heatmaps themselves; the raw
                ``CenterHead.forward`` output is accepted).
            t_preds: teacher outputs, same structure and shapes.
            gt_mask (Tensor, optional): (B, 1, Y, X) GT Gaussian (``mask='gt_gaussian'``).

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        s_maps, t_maps = task_heatmaps(s_preds), task_heatmaps(t_preds)
        if len(s_maps) != len(t_maps):
            raise ValueError(f'student has {len(s_maps)} tasks but teacher {len(t_maps)}')
        for s, t in zip(s_maps, t_maps):
            if s.shape != t.shape:
                raise ValueError(f'HeatmapResponseLoss: student heatmap {tuple(s.shape)} and '
                                 f'teacher heatmap {tuple(t.shape)} differ')
        with no_autocast(s_maps[0]):
            if self.mode == 'qfl':
                loss = self._qfl(s_maps, t_maps)
            else:
                loss = self._l1_max_class(s_maps, t_maps, gt_mask)
        return loss * self.loss_weight

    def _qfl(self, s_maps, t_maps) -> Tensor:
        total = s_maps[0].new_zeros((), dtype=torch.float32)
        for s, t in zip(s_maps, t_maps):
            sp = self._student_prob(s)
            p = self._teacher_prob(t, clip=False)
            bce = -(p * torch.log(sp) + (1 - p) * torch.log(1 - sp))
            qfl = bce * (sp - p).abs().pow(self.beta)
            num_pos = synced_count((p > self.pos_thr).sum().float(),
                                   self.sync_normalizer).clamp(min=1)
            total = total + qfl.sum() / num_pos
        return total

    def _l1_max_class(self, s_maps, t_maps, gt_mask) -> Tensor:
        hs = max_class_prob(s_maps, self.student_is_prob)
        ht = max_class_prob([t.detach() for t in t_maps], self.teacher_is_prob,
                            self.teacher_temperature)
        err = (hs - ht).abs()
        if self.mask == 'none':
            return err.mean()
        if gt_mask is None:
            raise ValueError("HeatmapResponseLoss(mask='gt_gaussian') needs gt_mask (B, 1, Y, X)")
        check_spatial(gt_mask, err, 'HeatmapResponseLoss gt_mask')
        g = gt_mask.detach().float()
        return (err * g).sum() / synced_count(g.sum(), self.sync_normalizer).clamp(min=1.0)

    def extra_repr(self) -> str:
        return (f'mode={self.mode!r}, beta={self.beta}, pos_thr={self.pos_thr}, '
                f'teacher_temperature={self.teacher_temperature}, mask={self.mask!r}, '
                f'loss_weight={self.loss_weight}')
