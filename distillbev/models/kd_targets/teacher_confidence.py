# Copyright (c) distillbev contributors. All rights reserved.
"""CMKD teacher-confidence weights for response distillation."""
from typing import Any, Dict, List, Optional

import torch
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .head_utils import task_heatmaps


def teacher_confidence(t_preds: Any,
                       thr: Optional[float] = 0.1,
                       reduce: str = 'sum',
                       teacher_is_prob: bool = False) -> List[Tensor]:
    """Per-task confidence weights of teacher heatmaps (see :class:`TeacherConfidence`).

    Returns:
        list[Tensor]: per task (B, 1, Y, X) float32 weights (0 where not above ``thr``).
    """
    out = []
    for h in task_heatmaps(t_preds):
        h = h.detach().float()
        if reduce == 'sigmoid_sum_logits':
            if teacher_is_prob:
                raise ValueError("reduce='sigmoid_sum_logits' needs teacher logits")
            conf = torch.sigmoid(h.sum(dim=1, keepdim=True))
        else:
            p = h if teacher_is_prob else torch.sigmoid(h)
            if reduce == 'sum':
                conf = p.sum(dim=1, keepdim=True)
            elif reduce == 'max':
                conf = p.amax(dim=1, keepdim=True)
            else:
                raise ValueError("reduce must be 'sum', 'max' or 'sigmoid_sum_logits'; "
                                 f'got {reduce!r}')
        if thr is not None:
            conf = conf * (conf > thr).float()
        out.append(conf)
    return out


@MODELS.register_module()
class TeacherConfidence(nn.Module):
    """Teacher-confidence weights per BEV cell (no learnable parameters).

    CMKD (Hong et al., "Cross-Modality Knowledge Distillation Network for Monocular 3D Object
    Detection", ECCV 2022, ``CenterHeadSoft``) weights the regression KD of each cell by
    ``h_t = sum_k sigmoid(t_k)`` over the classes of the task, on cells with ``h_t > thr``
    (0.1). ``reduce='max'`` uses the max over classes; ``'sigmoid_sum_logits'`` is the CMKD-MV
    (nuScenes) weight ``sigmoid(sum_k t_k)``.

    Args:
        thr (float, optional): weights not above it are 0; None: no threshold. Defaults to 0.1.
        reduce (str): ``'sum'``, ``'max'`` or ``'sigmoid_sum_logits'``. Defaults to ``'sum'``.
        teacher_is_prob (bool): heatmaps are probabilities, not logits. Defaults to False.
    """

    def __init__(self,
                 thr: Optional[float] = 0.1,
                 reduce: str = 'sum',
                 teacher_is_prob: bool = False) -> None:
        super().__init__()
        if reduce not in ('sum', 'max', 'sigmoid_sum_logits'):
            raise ValueError("reduce must be 'sum', 'max' or 'sigmoid_sum_logits'; "
                             f'got {reduce!r}')
        self.thr = thr
        self.reduce = reduce
        self.teacher_is_prob = teacher_is_prob

    @torch.no_grad()
    def forward(self, t_preds: Any) -> Dict[str, List[Tensor]]:
        """Weights of a batch.

        Args:
            t_preds (list[dict] | list[Tensor] | Tensor): teacher CenterHead outputs (per task
                ``heatmap`` (B, K_t, Y, X) logits).

        Returns:
            dict: ``weight``: list over tasks of (B, 1, Y, X) float32.
        """
        return dict(weight=teacher_confidence(t_preds, self.thr, self.reduce,
                                              self.teacher_is_prob))

    def extra_repr(self) -> str:
        return f'thr={self.thr}, reduce={self.reduce!r}'
