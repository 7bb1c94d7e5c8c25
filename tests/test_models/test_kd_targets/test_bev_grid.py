# Copyright (c) distillbev contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from distillbev.models.kd_targets import BEVGrid, build_bev_grid

PCR = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]


def test_shape_from_voxel_size_and_cell_size():
    g = BEVGrid(PCR, voxel_size=[0.1, 0.1, 0.2], out_size_factor=8)
    assert g.shape == (128, 128)
    assert g.cell_x == pytest.approx(0.8) and g.cell_y == pytest.approx(0.8)
    assert BEVGrid(PCR, cell_size=0.8).shape == (128, 128)
    # non-square: x in [0, 4) with 0.5 m -> 8 columns, y in [-1, 1) -> 4 rows
    g2 = BEVGrid([0.0, -1.0, 0.0, 4.0, 1.0, 1.0], cell_size=0.5)
    assert g2.shape == (4, 8)
    assert build_bev_grid(dict(type='BEVGrid', point_cloud_range=PCR, cell_size=0.8)).shape == \
        (128, 128)


def test_not_divisible_raises():
    with pytest.raises(ValueError, match='whole number'):
        BEVGrid(PCR, cell_size=0.7)
    with pytest.raises(ValueError, match='exactly one'):
        BEVGrid(PCR)


def test_conversions_follow_the_contract():
    g = BEVGrid(PCR, cell_size=0.8)
    xy = torch.tensor([[10.0, -20.0]])
    # u = (10 + 51.2) / 0.8 = 76.5 ; v = (-20 + 51.2) / 0.8 = 39.0
    torch.testing.assert_close(g.world_to_cell(xy), torch.tensor([[76.5, 39.0]]))
    assert g.world_to_index(xy).tolist() == [[76, 39]]  # (col, row)
    torch.testing.assert_close(g.cell_to_world(torch.tensor([[76.5, 39.0]])), xy)
    c = g.cell_centers()
    assert c.shape == (128, 128, 2)
    # cell (row 39, col 76): x = -51.2 + 76.5 * 0.8 = 10.0, y = -51.2 + 39.5 * 0.8 = -19.6
    torch.testing.assert_close(c[39, 76], torch.tensor([10.0, -19.6]))
    torch.testing.assert_close(c[0, 0], torch.tensor([-50.8, -50.8]))
    # grid_sample coords (align_corners=False): 2u/X - 1, 2v/Y - 1
    torch.testing.assert_close(g.world_to_grid_sample(xy),
                               torch.tensor([[76.5 * 2 / 128 - 1, 39.0 * 2 / 128 - 1]]))
    # align_corners=True: 2(u - 0.5)/(X - 1) - 1
    torch.testing.assert_close(g.world_to_grid_sample(xy, align_corners=True),
                               torch.tensor([[76.0 * 2 / 127 - 1, 38.5 * 2 / 127 - 1]]))
    assert g.in_range(torch.tensor([[51.1, 0.0], [51.2, 0.0], [-51.2, -51.2]])).tolist() == \
        [True, False, True]
    coarse = g.with_shape((64, 32))
    assert coarse.shape == (64, 32)
    assert coarse.cell_x == pytest.approx(3.2) and coarse.cell_y == pytest.approx(1.6)


@pytest.mark.parametrize('align_corners', [False, True])
def test_grid_sample_coords_hit_cell_centres(align_corners):
    g = BEVGrid([0.0, -1.0, 0.0, 4.0, 1.0, 1.0], cell_size=0.5)  # (Y, X) = (4, 8)
    cols = torch.arange(8.0).expand(4, 8)
    rows = torch.arange(4.0)[:, None].expand(4, 8)
    maps = torch.stack([cols, rows])[None]  # (1, 2, Y, X)
    centres = g.cell_centers()  # (Y, X, 2)
    grid = g.world_to_grid_sample(centres, align_corners)[None]
    out = F.grid_sample(maps, grid, align_corners=align_corners)
    torch.testing.assert_close(out, maps)
