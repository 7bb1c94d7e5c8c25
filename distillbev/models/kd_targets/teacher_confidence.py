# Copyright (c) distillbev contributors. All rights reserved.
"""CMKD teacher-confidence weights for response distillation (the math is in
:func:`distillbev.models.utils.head_outputs.teacher_confidence`)."""
from typing import Any, Dict, List, Optional

import torch
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from ..utils.head_outputs import check_conf_reduce, teacher_confidence


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
        check_conf_reduce(reduce)
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


__all__ = ['TeacherConfidence', 'teacher_confidence']
