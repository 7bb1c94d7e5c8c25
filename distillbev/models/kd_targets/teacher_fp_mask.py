# Copyright (c) distillbev contributors. All rights reserved.
"""DistillBEV teacher false-positive regions on the BEV grid."""
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .box_utils import normalize_shapes
from ..utils.head_outputs import max_class_prob, max_over_tasks


@MODELS.register_module()
class TeacherFPMask(nn.Module):
    """Cells where the teacher is confident but no GT object is (no learnable parameters).

    DistillBEV (Wang et al., "DistillBEV: Boosting Multi-Camera 3D Object Detection with
    Cross-Modal Knowledge Distillation", ICCV 2023) also distils the teacher's false positives:
    ``FP = [max_k clip_sigmoid(t_k) > thr] * [max_k gt_k < gt_thr] * (1 - FG)`` where ``t`` are
    the teacher heatmap logits (all classes of all tasks), ``gt`` the GT heatmap (CenterHead
    targets) or any GT mask, and FG the binary box mask. The scale is
    ``1 / max(1, N_fp)`` per sample (``fp_scale_mode='average'``).

    Args:
        thr (float): teacher probability threshold (``output_threshold``). Defaults to 0.1.
        gt_thr (float): GT heatmap threshold below which a cell is GT-free. Defaults to 0.1.
        teacher_is_prob (bool): teacher heatmaps are already (clip-)sigmoid probabilities.
            Defaults to False (logits, as tapped at the CenterHead output).
        out_shapes (Sequence, optional): default output resolution(s), ``(Y, X)`` or a list;
            the mask is resized with nearest-neighbour interpolation.
    """

    def __init__(self,
                 thr: float = 0.1,
                 gt_thr: float = 0.1,
                 teacher_is_prob: bool = False,
                 out_shapes: Optional[Sequence] = None) -> None:
        super().__init__()
        self.thr = float(thr)
        self.gt_thr = float(gt_thr)
        self.teacher_is_prob = teacher_is_prob
        self.out_shapes = out_shapes

    @torch.no_grad()
    def forward(self,
                t_preds: Any,
                gt_mask: Union[Tensor, Sequence[Tensor]],
                fg_mask: Optional[Tensor] = None,
                shape: Optional[Sequence] = None) -> Dict[str, Union[Tensor, List[Tensor]]]:
        """FP mask and scale.

        Args:
            t_preds (list[dict] | list[Tensor] | Tensor): teacher CenterHead outputs (per task
                ``heatmap`` (B, K_t, Y, X)).
            gt_mask (Tensor | list[Tensor]): (B, K, Y, X) GT heatmap / mask (max over K taken),
                or a list over tasks of them (as ``CenterHead.get_targets`` returns).
            fg_mask (Tensor, optional): (B, 1, Y, X) binary box mask removed from the FP mask.
            shape (tuple | list, optional): output (Y, X) or list of them; defaults to
                ``out_shapes`` or the heatmap size.

        Returns:
            dict: ``mask`` (B, 1, Y, X) float32 0/1, ``scale`` (B, 1, 1, 1) float32
            ``1 / max(1, N_fp)``; lists over levels if a list of shapes is given.
        """
        t_max = max_class_prob(t_preds, is_prob=self.teacher_is_prob)
        gts = gt_mask if isinstance(gt_mask, (list, tuple)) else [gt_mask]
        gt_max = max_over_tasks(gts)
        if gt_max.shape[-2:] != t_max.shape[-2:]:
            raise ValueError(f'TeacherFPMask: GT mask {tuple(gt_max.shape)} and teacher heatmap '
                             f'{tuple(t_max.shape)} differ in size; give both on the head grid')
        fp = (t_max > self.thr) & (gt_max < self.gt_thr)
        if fg_mask is not None:
            fp &= ~(fg_mask.float() > 0)
        fp = fp.float()
        shapes, multi = normalize_shapes(shape if shape is not None else self.out_shapes)
        if shapes is None:
            shapes = [tuple(fp.shape[-2:])]
        masks, scales = [], []
        for s in shapes:
            m = fp if tuple(fp.shape[-2:]) == s else F.interpolate(fp, size=s, mode='nearest')
            masks.append(m)
            scales.append(1.0 / m.sum(dim=(1, 2, 3), keepdim=True).clamp(min=1))
        if multi:
            return dict(mask=masks, scale=scales)
        return dict(mask=masks[0], scale=scales[0])

    def extra_repr(self) -> str:
        return f'thr={self.thr}, gt_thr={self.gt_thr}, teacher_is_prob={self.teacher_is_prob}'
