# Copyright (c) distillbev contributors. All rights reserved.
"""NMS-free box coding of BEVFormer / DETR3D-style set-prediction heads, in the LiDAR frame.

Normalised box (code size 10): ``(cx, cy, log dx, log dy, cz, log dz, sin yaw, cos yaw, vx, vy)``
with ``(cx, cy, cz)`` the gravity centre in metres and ``(dx, dy, dz)`` the mmdet3d 1.x LiDAR box
sizes (``dx`` along the heading). Decoding keeps the top-k (query, class) pairs by sigmoid score:
no NMS, one box per query and class at most.
"""
from typing import Dict, Optional, Sequence

import torch
from mmdet3d.registry import TASK_UTILS
from mmdet3d.structures import LiDARInstance3DBoxes
from torch import Tensor


def normalize_bbox(boxes: Tensor) -> Tensor:
    """(M, 7 or 9) mmdet3d LiDAR boxes ``(x, y, z_bottom, dx, dy, dz, yaw[, vx, vy])`` ->
    (M, 10) normalised boxes (velocity 0 when absent)."""
    cz = boxes[:, 2:3] + boxes[:, 5:6] * 0.5
    vel = boxes[:, 7:9] if boxes.shape[-1] >= 9 else boxes.new_zeros(boxes.shape[0], 2)
    return torch.cat([boxes[:, 0:2], boxes[:, 3:5].log(), cz, boxes[:, 5:6].log(),
                      boxes[:, 6:7].sin(), boxes[:, 6:7].cos(), vel], -1)


def denormalize_bbox(norm: Tensor) -> Tensor:
    """(M, 10) normalised boxes -> (M, 9) LiDAR boxes with the *bottom* centre z."""
    dims = torch.cat([norm[:, 2:4], norm[:, 5:6]], -1).exp()
    yaw = torch.atan2(norm[:, 6:7], norm[:, 7:8])
    z = norm[:, 4:5] - dims[:, 2:3] * 0.5
    return torch.cat([norm[:, 0:2], z, dims, yaw, norm[:, 8:10]], -1)


@TASK_UTILS.register_module()
class NMSFreeBBox3DCoder:
    """Top-k decoding of set predictions into LiDAR boxes (no NMS).

    Args:
        post_center_range (Sequence[float], optional): ``[x_min, y_min, z_min, x_max, y_max,
            z_max]`` of kept centres (published: [-61.2, -61.2, -10, 61.2, 61.2, 10]).
        max_num (int): boxes kept per sample (published: 300).
        score_threshold (float, optional): minimum sigmoid score.
        num_classes (int): classes of the head.
    """

    def __init__(self, post_center_range: Optional[Sequence[float]] = None, max_num: int = 300,
                 score_threshold: Optional[float] = None, num_classes: int = 10,
                 **kwargs) -> None:
        self.post_center_range = post_center_range
        self.max_num = max_num
        self.score_threshold = score_threshold
        self.num_classes = num_classes

    def encode(self, boxes: LiDARInstance3DBoxes) -> Tensor:
        """(M,) boxes -> (M, 10) normalised targets."""
        return normalize_bbox(boxes.tensor)

    def decode(self, cls_scores: Tensor, bbox_preds: Tensor) -> Dict[str, Tensor]:
        """One sample's predictions -> kept boxes.

        Args:
            cls_scores (Tensor): (Q, num_classes) logits.
            bbox_preds (Tensor): (Q, 10) normalised boxes.

        Returns:
            dict: ``bboxes`` (K, 9) LiDAR boxes (bottom z), ``scores`` (K,), ``labels`` (K,).
        """
        scores = cls_scores.sigmoid().flatten()
        k = min(self.max_num, scores.numel())
        scores, index = scores.topk(k)
        labels = index % self.num_classes
        boxes = denormalize_bbox(bbox_preds[torch.div(index, self.num_classes,
                                                      rounding_mode='floor')])
        keep = torch.ones_like(scores, dtype=torch.bool)
        if self.score_threshold is not None:
            keep &= scores > self.score_threshold
        if self.post_center_range is not None:
            rng = boxes.new_tensor(self.post_center_range)
            keep &= ((boxes[:, :3] >= rng[:3]) & (boxes[:, :3] <= rng[3:])).all(1)
        return dict(bboxes=boxes[keep], scores=scores[keep], labels=labels[keep])
