# Copyright (c) distillbev contributors. All rights reserved.
"""How well a BEV feature map tells object cells from the rest: the quality of a tapped level.

For a (C, Y, X) map the score of a cell is its mean ``|f|`` over channels; the label is whether
the cell centre lies inside a ground-truth box footprint. The quality is the ROC AUC of that
score (Mann-Whitney U): 1.0 when every object cell is brighter than every background cell,
0.5 for a map that ignores the objects. Used by ``tools/kd_feature_quality.py`` on the teacher's
and the student's taps of a distiller: a teacher level with a low AUC has little to teach there.
"""
from typing import Optional

import torch
from torch import Tensor

from ..structures.bev_grid import BEVGrid


def box_cell_mask(boxes, grid: BEVGrid) -> Tensor:
    """(Y, X) bool: cell centres inside any box footprint (rotated rectangles in BEV).

    Args:
        boxes: mmdet3d ``LiDARInstance3DBoxes`` (or a (N, >=7) tensor x, y, z, l, w, h, yaw).
        grid (BEVGrid): the map's grid.
    """
    t = boxes.tensor if hasattr(boxes, 'tensor') else torch.as_tensor(boxes)
    centres = grid.cell_centers(dtype=torch.float64)  # (Y, X, 2)
    mask = torch.zeros(grid.shape, dtype=torch.bool)
    for x, y, _, length, width, _, yaw in t[:, :7].double().tolist():
        d = centres - centres.new_tensor([x, y])
        c, s = torch.cos(torch.tensor(yaw)), torch.sin(torch.tensor(yaw))
        along = d[..., 0] * c + d[..., 1] * s
        across = -d[..., 0] * s + d[..., 1] * c
        mask |= (along.abs() <= length / 2) & (across.abs() <= width / 2)
    return mask


def roc_auc(scores: Tensor, labels: Tensor) -> Optional[float]:
    """ROC AUC of ``scores`` for binary ``labels`` (ties count half); None without both classes."""
    scores, labels = scores.flatten().double(), labels.flatten().bool()
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = torch.argsort(scores)
    sorted_scores = scores[order]
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=torch.float64)
    # average ranks of ties
    uniq, inverse, counts = torch.unique(sorted_scores, return_inverse=True, return_counts=True)
    if len(uniq) < len(scores):
        sums = torch.zeros(len(uniq), dtype=torch.float64).index_add_(
            0, inverse, torch.arange(1, len(scores) + 1, dtype=torch.float64))
        ranks[order] = (sums / counts)[inverse]
    u = ranks[labels].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def feature_fg_auc(feat: Tensor, boxes, grid: BEVGrid) -> Optional[float]:
    """AUC of a (C, Y, X) map's channel-mean ``|f|`` for the cells inside ``boxes``.

    The grid is resampled to the map's shape (same range), so any level of a BEV backbone works.
    """
    level = grid.with_shape(feat.shape[-2:])
    return roc_auc(feat.detach().float().abs().mean(0).cpu(), box_cell_mask(boxes, level))
