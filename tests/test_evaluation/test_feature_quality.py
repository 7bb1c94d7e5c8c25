# Copyright (c) distillbev contributors. All rights reserved.
"""Feature quality (ROC AUC of the channel-mean |f| for GT-box cells) against hand values."""
import pytest
import torch
from mmdet3d.structures import LiDARInstance3DBoxes

from distillbev.evaluation.feature_quality import box_cell_mask, feature_fg_auc, roc_auc
from distillbev.structures.bev_grid import BEVGrid

GRID = BEVGrid([-4.0, -4.0, 4.0, 4.0], cell_size=1.0)  # 8 x 8 cells, centres at k + 0.5


def test_roc_auc_hand_values():
    # positives 0.9, 0.4; negatives 0.1, 0.4, 0.35: pairs won 3 + (1 + 0.5 tie + 1) = 5.5 of 6
    scores = torch.tensor([0.9, 0.4, 0.1, 0.4, 0.35])
    labels = torch.tensor([1, 1, 0, 0, 0])
    assert roc_auc(scores, labels) == pytest.approx(5.5 / 6)
    assert roc_auc(-scores, labels) == pytest.approx(0.5 / 6)
    assert roc_auc(scores, torch.ones(5)) is None


def test_box_cells_rotated_footprint():
    # a 2 m x 2 m box at (1, 1), yaw 0: the four cells with centres (0.5|1.5, 0.5|1.5)
    box = LiDARInstance3DBoxes(torch.tensor([[1.0, 1.0, 0.0, 2.0, 2.0, 1.0, 0.0]]))
    mask = box_cell_mask(box, GRID)
    assert mask.sum() == 4 and mask[4:6, 4:6].all()  # rows = y cells, cols = x cells
    # a 3 m x 0.8 m box rotated by 90 degrees covers a column of 3 cells
    tall = LiDARInstance3DBoxes(torch.tensor([[-2.5, 0.5, 0.0, 3.0, 0.8, 1.0, 1.5707963]]))
    mask = box_cell_mask(tall, GRID)
    assert mask.sum() == 3 and mask[3:6, 1].all()


def test_feature_auc_on_a_coarser_level():
    box = LiDARInstance3DBoxes(torch.tensor([[1.0, 1.0, 0.0, 2.0, 2.0, 1.0, 0.0]]))
    feat = torch.zeros(3, 4, 4)  # a stride-2 level of the 8 x 8 grid: cell (2, 2) holds (1, 1)
    feat[:, 2, 2] = 5.0
    assert feature_fg_auc(feat, box, GRID) == pytest.approx(1.0)
    assert feature_fg_auc(-feat.abs() + 5.0, box, GRID) == pytest.approx(0.0)
