# Copyright (c) distillbev contributors. All rights reserved.
"""CMKD response distillation on an anchor head (KITTI form)."""
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import as_list, no_autocast


def _per_anchor(maps: Sequence[Tensor], width: int) -> Tensor:
    """Levels of (B, A * width, H, W) head maps -> (B, N, width), N = sum_l H_l W_l A."""
    return torch.cat([m.permute(0, 2, 3, 1).reshape(m.shape[0], -1, width) for m in maps], 1)


@MODELS.register_module()
class AnchorResponseLoss(nn.Module):
    """Soft-target imitation of a teacher's anchor head (classification, boxes, directions).

    CMKD (Hong et al., "Cross-Modality Knowledge Distillation Network for Monocular 3D Object
    Detection", ECCV 2022), KITTI form (``AnchorHeadSingleCMKD_V2``): the student's anchor head
    (the teacher's architecture: same anchors, same box coder) learns from the teacher's outputs
    alone. With teacher probabilities ``p = sigmoid(cls_t)`` (B, N, K) over N anchors:

    - classification, quality focal loss on every anchor and class:
      ``QFL = BCEWithLogits(s, p) * |sigmoid(s) - p|^beta``, normalised per image and class by
      ``N+_{b,k} = max(1, #{n: p_{b,n,k} > pos_thr})``:
      ``L_cls = cls_weight / B * sum_{b,n,k} QFL_{b,n,k} / N+_{b,k}``;
    - boxes: anchors with ``sum_k p_{b,n,k} > pos_thr`` are positive, weighted by
      ``w_{b,n} = sum_k p_{b,n,k} / max(1, N+_b)`` (N+_b: positives of image b);
      ``L_loc = loc_weight / B * sum_{b,n} w_{b,n} sum_c c_c SmoothL1_beta(delta_c)`` between the
      encoded residuals, the heading channel compared as ``sin(s) cos(t)`` vs ``cos(s) sin(t)``
      (OpenPCDet's sin-difference);
    - directions: cross-entropy of the student's direction logits against the teacher's arg-max
      direction, weighted by ``w_{b,n}``: ``L_dir = dir_weight / B * sum w_{b,n} CE_{b,n}``.

    CMKD weights: cls 2.0, loc 2.0, dir 0.4, beta 2, pos_thr 0.1, SmoothL1 beta 1/9, code
    weights 1. It replaces the student head's GT loss in CMKD's KITTI training.

    Args:
        num_classes (int, optional): K. None: read from the maps, ``A = box channels /
            box_code_size`` anchors per cell and ``K = cls channels / A`` (one loss config for
            the 1-class car and the 3-class heads). Defaults to 3.
        box_code_size (int): residuals per anchor (7: x, y, z, w, l, h, yaw). Defaults to 7.
        rot_index (int): the heading residual's channel. Defaults to 6.
        cls_weight, loc_weight, dir_weight (float): CMKD: 2.0, 2.0, 0.4.
        beta (float): QFL exponent. Defaults to 2.0.
        pos_thr (float): teacher probability of a positive. Defaults to 0.1.
        smooth_l1_beta (float): Defaults to 1 / 9.
        code_weights (Sequence[float], optional): per-residual weights. Defaults to ones.
        loss_weight (float): multiplies all three terms. Defaults to 1.0.
    """

    def __init__(self, num_classes: Optional[int] = 3, box_code_size: int = 7, rot_index: int = 6,
                 cls_weight: float = 2.0, loc_weight: float = 2.0, dir_weight: float = 0.4,
                 beta: float = 2.0, pos_thr: float = 0.1, smooth_l1_beta: float = 1.0 / 9.0,
                 code_weights: Sequence[float] = None, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.num_classes, self.box_code_size, self.rot_index = num_classes, box_code_size, rot_index
        self.cls_weight, self.loc_weight, self.dir_weight = cls_weight, loc_weight, dir_weight
        self.beta, self.pos_thr, self.smooth_l1_beta = beta, pos_thr, smooth_l1_beta
        weights = [1.0] * box_code_size if code_weights is None else list(code_weights)
        if len(weights) != box_code_size:
            raise ValueError(f'code_weights has {len(weights)} entries for a box code of '
                             f'{box_code_size}')
        self.register_buffer('code_weights', torch.tensor(weights), persistent=False)
        self.loss_weight = loss_weight

    def _split(self, preds: Any) -> Tuple[Tensor, Tensor, Tensor]:
        cls, box, direction = preds[0], preds[1], preds[2]
        num_classes = self.num_classes
        if num_classes is None:
            anchors = as_list(box)[0].shape[1] // self.box_code_size
            num_classes = as_list(cls)[0].shape[1] // max(anchors, 1)
        return (_per_anchor(as_list(cls), num_classes),
                _per_anchor(as_list(box), self.box_code_size), _per_anchor(as_list(direction), 2))

    def forward(self, s_preds: Any, t_preds: Any) -> Dict[str, Tensor]:
        """The three terms for a batch.

        Args:
            s_preds (tuple): the student ``Anchor3DHead.forward`` output: ``(cls_scores,
                bbox_preds, dir_cls_preds)``, each a list over levels of (B, A * K | A * code |
                A * 2, H, W).
            t_preds (tuple): the teacher's, same anchors.

        Returns:
            dict: ``loss_cls``, ``loss_loc``, ``loss_dir`` (scalars, float32, weighted).
        """
        s_cls, s_box, s_dir = self._split(s_preds)
        t_cls, t_box, t_dir = self._split(t_preds)
        if s_cls.shape != t_cls.shape or s_box.shape != t_box.shape:
            raise ValueError(f'AnchorResponseLoss: student anchors {tuple(s_cls.shape)} / '
                             f'{tuple(s_box.shape)} and teacher {tuple(t_cls.shape)} / '
                             f'{tuple(t_box.shape)} differ: the heads need the same anchors')
        bsz = s_cls.shape[0]
        with no_autocast(s_cls):
            s_cls, s_box, s_dir = s_cls.float(), s_box.float(), s_dir.float()
            p = torch.sigmoid(t_cls.detach().float())
            qfl = F.binary_cross_entropy_with_logits(s_cls, p, reduction='none') * (
                torch.sigmoid(s_cls) - p).abs().pow(self.beta)
            n_cls = (p > self.pos_thr).sum(dim=1, keepdim=True).clamp(min=1).float()
            loss_cls = (qfl / n_cls).sum() / bsz
            conf = p.sum(dim=-1)  # (B, N)
            pos = (conf > self.pos_thr).float()
            weight = pos * conf / pos.sum(dim=1, keepdim=True).clamp(min=1)
            t_box = t_box.detach().float()
            r = self.rot_index
            s_rot = torch.sin(s_box[..., r:r + 1]) * torch.cos(t_box[..., r:r + 1])
            t_rot = torch.cos(s_box[..., r:r + 1]) * torch.sin(t_box[..., r:r + 1])
            s_enc = torch.cat([s_box[..., :r], s_rot, s_box[..., r + 1:]], dim=-1)
            t_enc = torch.cat([t_box[..., :r], t_rot, t_box[..., r + 1:]], dim=-1)
            loc = F.smooth_l1_loss(s_enc, t_enc, reduction='none', beta=self.smooth_l1_beta)
            loss_loc = (loc * self.code_weights.to(loc)).sum(-1).mul(weight).sum() / bsz
            target_dir = torch.sigmoid(t_dir.detach().float()).argmax(dim=-1)
            ce = F.cross_entropy(s_dir.reshape(-1, 2), target_dir.reshape(-1), reduction='none')
            loss_dir = (ce.reshape(bsz, -1) * weight).sum() / bsz
        return dict(loss_cls=loss_cls * self.cls_weight * self.loss_weight,
                    loss_loc=loss_loc * self.loc_weight * self.loss_weight,
                    loss_dir=loss_dir * self.dir_weight * self.loss_weight)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, cls/loc/dir weights={self.cls_weight}/'
                f'{self.loc_weight}/{self.dir_weight}, beta={self.beta}, pos_thr={self.pos_thr}')
