# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest
import torch

from distillbev.models.kd_targets import BEVBoxMask, BEVGrid
from distillbev.models.kd_targets.box_utils import gaussian_radius

GRID4 = BEVGrid([0.0, 0.0, -1.0, 4.0, 4.0, 1.0], cell_size=1.0)  # 4 x 4, centres at .5


def box(x, y, dx, dy, yaw=0.0):
    return [x, y, 0.0, dx, dy, 1.0, yaw]


def test_axis_aligned_box_and_scales():
    out = BEVBoxMask(GRID4)([torch.tensor([box(2.0, 2.0, 2.0, 2.0)])])
    expected = torch.zeros(4, 4)
    expected[1:3, 1:3] = 1  # centres 1.5 and 2.5 are inside |x - 2| <= 1, |y - 2| <= 1
    assert out['mask'].shape == (1, 1, 4, 4)
    torch.testing.assert_close(out['mask'][0, 0], expected)
    # 1 / sqrt(area in cells) = sqrt(1 / (2 * 2)) = 0.5 on foreground, 0 elsewhere
    torch.testing.assert_close(out['fg_scale'][0, 0], expected * 0.5)
    assert out['bg_scale'].shape == (1, 1, 1, 1)
    assert out['bg_scale'].item() == pytest.approx(1 / 12)


def test_rotated_boxes_follow_rows_y_cols_x():
    grid = BEVGrid([-0.5, -0.5, -1.0, 3.5, 3.5, 1.0], cell_size=1.0)  # centres at 0, 1, 2, 3
    thin = 2.9, 0.2  # half length 1.45 >= sqrt(2): reaches the diagonal neighbours
    pos = BEVBoxMask(grid)([torch.tensor([box(1.0, 1.0, *thin, math.pi / 4)])])['mask'][0, 0]
    neg = BEVBoxMask(grid)([torch.tensor([box(1.0, 1.0, *thin, -math.pi / 4)])])['mask'][0, 0]
    # +45 deg: the line y = x -> (row, col) = (0, 0), (1, 1), (2, 2)
    assert torch.nonzero(pos).tolist() == [[0, 0], [1, 1], [2, 2]]
    # -45 deg: y = 2 - x -> (x, y) = (2, 0) is (row 0, col 2), (0, 2) is (row 2, col 0)
    assert torch.nonzero(neg).tolist() == [[0, 2], [1, 1], [2, 0]]
    # an axis-aligned 3 x 1 box along x at y = 2 fills row 2, columns 0..2 (not column 2)
    row = BEVBoxMask(grid)([torch.tensor([box(1.0, 2.0, 2.9, 0.9)])])['mask'][0, 0]
    assert torch.nonzero(row).tolist() == [[2, 0], [2, 1], [2, 2]]


def test_small_box_marks_its_centre_cell_and_overlap_takes_max_scale():
    small = box(2.3, 0.6, 0.3, 0.3)  # no cell centre inside; centre in (row 0, col 2)
    big = box(2.0, 1.0, 2.0, 2.0)  # covers rows 0-1, cols 1-2 (area 4 cells)
    out = BEVBoxMask(GRID4)([torch.tensor([small, big])])
    assert torch.nonzero(out['mask'][0, 0]).tolist() == [[0, 1], [0, 2], [1, 1], [1, 2]]
    fs = out['fg_scale'][0, 0]
    assert fs[0, 2].item() == pytest.approx(math.sqrt(1 / 0.09))  # small box wins: 3.333
    assert fs[0, 1].item() == pytest.approx(0.5)
    clamped = BEVBoxMask(GRID4, max_fg_scale=1.0)([torch.tensor([small, big])])
    assert clamped['fg_scale'][0, 0, 0, 2].item() == pytest.approx(1.0)
    avg = BEVBoxMask(GRID4, scale='avg', bg_norm=False)([torch.tensor([small, big])])
    assert avg['fg_scale'][0, 0, 1, 1].item() == pytest.approx(1 / 4)
    assert avg['bg_scale'].item() == 1.0


def test_no_boxes_and_padding_and_class_filter():
    empty = torch.zeros((0, 7))
    out = BEVBoxMask(GRID4)([empty, torch.tensor([box(0.5, 0.5, 1.0, 1.0)])])
    assert out['mask'][0].sum() == 0 and out['fg_scale'][0].sum() == 0
    assert out['bg_scale'][0].item() == pytest.approx(1 / 16)
    assert out['mask'][1, 0, 0, 0] == 1 and out['bg_scale'][1].item() == pytest.approx(1 / 15)
    assert torch.isfinite(out['fg_scale']).all()
    # zero-padded (B, M, 7) tensor input: padding rows are dropped
    padded = torch.zeros(1, 2, 7)
    padded[0, 0] = torch.tensor(box(0.5, 0.5, 1.0, 1.0))
    assert BEVBoxMask(GRID4)(padded)['mask'].sum() == 1
    labels = [torch.tensor([0, 1])]
    two = [torch.tensor([box(0.5, 0.5, 1.0, 1.0), box(3.5, 3.5, 1.0, 1.0)])]
    only1 = BEVBoxMask(GRID4, class_ids=[1])(two, labels)['mask'][0, 0]
    assert torch.nonzero(only1).tolist() == [[3, 3]]


def test_multi_level_shapes():
    m = BEVBoxMask(GRID4, out_shapes=[(4, 4), (2, 2)])
    out = m([torch.tensor([box(1.0, 1.0, 2.0, 2.0)])])
    assert [t.shape for t in out['mask']] == [(1, 1, 4, 4), (1, 1, 2, 2)]
    # at 2 m cells the box covers exactly the centre (1, 1) of cell (0, 0): 1 cell, scale 1
    assert out['mask'][1][0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert out['fg_scale'][1][0, 0, 0, 0].item() == pytest.approx(1.0)
    assert out['bg_scale'][1].item() == pytest.approx(1 / 3)


def test_gaussian_radius_by_hand():
    # box 4 x 2 cells, overlap 0.1 (CornerNet's three cases, r = (b + sqrt(b^2 - 4ac)) / 2)
    r1 = (6 + math.sqrt(36 - 4 * 8 * 0.9 / 1.1)) / 2
    r2 = (12 + math.sqrt(144 - 16 * 0.9 * 8)) / 2
    r3 = (-1.2 + math.sqrt(1.44 + 4 * 0.4 * 0.9 * 8)) / 2  # = 1.2
    r = gaussian_radius(torch.tensor([4.0]), torch.tensor([2.0]), 0.1)
    assert r.item() == pytest.approx(min(r1, r2, r3)) and r.item() == pytest.approx(1.2)


def test_gaussian_mode_by_hand():
    grid = BEVGrid([0.0, 0.0, -1.0, 8.0, 8.0, 1.0], cell_size=1.0)
    b = [torch.tensor([box(4.2, 3.7, 4.0, 2.0)])]  # centre cell (row 3, col 4)
    # radius floor(1.2) = 1, sigma = 3 / 6 = 0.5 -> exp(-d2 / 0.5)
    g = BEVBoxMask(grid, mode='gaussian', min_overlap=0.1, min_radius=0)(b)['mask'][0, 0]
    assert g[3, 4].item() == 1.0
    assert g[3, 5].item() == pytest.approx(math.exp(-2.0))
    assert g[2, 4].item() == pytest.approx(math.exp(-2.0))
    assert g[4, 5].item() == pytest.approx(math.exp(-4.0))
    assert g[3, 6].item() == 0.0 and g[1, 4].item() == 0.0
    # min_radius 2: sigma = 5 / 6 -> exp(-4 / (2 * 25 / 36)) two columns away
    g2 = BEVBoxMask(grid, mode='gaussian', min_overlap=0.1, min_radius=2)(b)['mask'][0, 0]
    assert g2[3, 6].item() == pytest.approx(math.exp(-4 * 36 / 50))
    assert g2[3, 7].item() == 0.0
    assert torch.count_nonzero(g2).item() == 25
