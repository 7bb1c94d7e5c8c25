# Copyright (c) distillbev contributors. All rights reserved.
"""DESIGN contract 1: one box at (x, y) = (10, -20) m lands on one cell for every target."""
import math

import pytest
import torch
import torch.nn.functional as F

from distillbev.models.kd_targets import BEVBoxMask, BEVGrid, BoxKeypoints

PCR = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
ROW = math.floor((-20 + 51.2) / 0.8)  # 39
COL = math.floor((10 + 51.2) / 0.8)  # 76


def boxes_variants():
    t = torch.tensor([[10.0, -20.0, -1.0, 4.2, 1.9, 1.6, 0.3]])
    variants = [t]
    try:
        from mmdet3d.structures import LiDARInstance3DBoxes
        variants.append(LiDARInstance3DBoxes(t))
    except ImportError:  # pragma: no cover - mmdet3d needs mmcv's ops
        pass
    return variants


@pytest.mark.parametrize('boxes', boxes_variants())
def test_single_box_lands_on_the_same_cell(boxes):
    assert (ROW, COL) == (39, 76)
    grid = BEVGrid(PCR, voxel_size=[0.1, 0.1, 0.2], out_size_factor=8)
    assert grid.shape == (128, 128)

    mask = BEVBoxMask(grid)([boxes])['mask'][0, 0]
    assert mask[ROW, COL] == 1
    assert mask[COL, ROW] == 0  # the x <-> y mirrored cell is empty
    rows, cols = torch.nonzero(mask, as_tuple=True)
    assert abs(rows.float().mean().item() - 38.5) < 1.0  # around y = -20 (row boundary 38|39)
    assert abs(cols.float().mean().item() - 76.0) < 1.0

    gauss = BEVBoxMask(grid, mode='gaussian', min_overlap=0.1, min_radius=2)([boxes])['mask']
    peak = torch.nonzero(gauss[0, 0] == gauss.max()).tolist()
    assert peak == [[ROW, COL]] and gauss.max().item() == 1.0

    kp = BoxKeypoints(grid)([boxes])
    cols_map = torch.arange(128.0).expand(128, 128)
    rows_map = torch.arange(128.0)[:, None].expand(128, 128)
    maps = torch.stack([cols_map, rows_map])[None]
    sampled = F.grid_sample(maps, kp['keypoints'], align_corners=False)[0, :, 0, 4]  # centre
    # the centre (u, v) = (76.5, 39.0) is read at column u - 0.5 = 76 (the cell centre) and row
    # v - 0.5 = 38.5: y = -20 m is exactly the 38|39 row boundary, whose cell is floor(v) = 39
    assert sampled[0].item() == pytest.approx(76.0, abs=1e-4)
    assert sampled[1].item() == pytest.approx(38.5, abs=1e-4)
    assert math.floor(sampled[0].item() + 0.5) == COL
    assert math.floor(sampled[1].item() + 0.5) == ROW


def test_off_boundary_point_samples_inside_its_cell():
    grid = BEVGrid(PCR, cell_size=0.8)
    b = torch.tensor([[10.1, -19.9, 0.0, 0.5, 0.5, 1.0, 0.0]])  # (u, v) = (76.625, 39.125)
    kp = BoxKeypoints(grid)([b])
    one_hot = torch.zeros(1, 1, 128, 128)
    one_hot[0, 0, ROW, COL] = 1.0
    v = F.grid_sample(one_hot, kp['keypoints'], align_corners=False)[0, 0, 0, 4]
    # bilinear weight of cell (39, 76) at pixel coords (76.125, 38.625): 0.875 * 0.625
    assert v.item() == pytest.approx(0.875 * 0.625, abs=1e-5)
    mask = BEVBoxMask(grid)([b])['mask'][0, 0]
    assert torch.nonzero(mask).tolist() == [[ROW, COL]]
