# Copyright (c) distillbev contributors. All rights reserved.
import math

import torch
import torch.nn.functional as F

from distillbev.models.kd_targets import BEVGrid, BoxKeypoints

GRID8 = BEVGrid([-4.0, -4.0, -1.0, 4.0, 4.0, 1.0], cell_size=1.0)  # 8 x 8, gx = x / 4


def box(x, y, dx, dy, yaw=0.0):
    return [x, y, 0.5, dx, dy, 1.5, yaw]


def index_maps(num_y, num_x):
    cols = torch.arange(float(num_x)).expand(num_y, num_x)
    rows = torch.arange(float(num_y))[:, None].expand(num_y, num_x)
    return torch.stack([cols, rows])[None]  # (1, 2, Y, X): value = column, value = row


def test_rotated_box_keypoints_by_hand():
    # centre (1, 2), dx = 4 (along heading), dy = 2, yaw = 90 deg: local (lx, ly) -> (-ly, lx)
    out = BoxKeypoints(GRID8)([torch.tensor([box(1.0, 2.0, 4.0, 2.0, math.pi / 2)])])
    expected = torch.tensor([
        [2.0, 0.0],  # corner (-2, -1)
        [0.0, 0.0],  # corner (-2, +1)
        [0.0, 4.0],  # corner (+2, +1)
        [2.0, 4.0],  # corner (+2, -1)
        [1.0, 2.0],  # centre
        [1.0, 0.0],  # rear midpoint (-2, 0)
        [0.0, 2.0],  # left midpoint (0, +1)
        [1.0, 4.0],  # front midpoint (+2, 0)
        [2.0, 2.0],  # right midpoint (0, -1)
    ])
    torch.testing.assert_close(out['points_xy'][0, 0], expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(out['keypoints'][0, 0], expected / 4, atol=1e-6, rtol=0)
    assert out['valid'].tolist() == [[True]]

    # yaw = 30 deg: front-left corner (+2, +1) -> (2 cos - sin, 2 sin + cos) + centre
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    out = BoxKeypoints(GRID8)([torch.tensor([box(0.5, -1.0, 4.0, 2.0, math.pi / 6)])])
    fl = out['points_xy'][0, 0, 2]
    assert abs(fl[0].item() - (0.5 + 2 * c - 1 * s)) < 1e-5
    assert abs(fl[1].item() - (-1.0 + 2 * s + 1 * c)) < 1e-5


def test_grid_sample_reads_the_right_cells():
    """Sampling an index map at the keypoints gives back their (u - 0.5, v - 0.5)."""
    b = torch.tensor([box(-1.3, 0.7, 3.0, 1.2, 0.4)])
    out = BoxKeypoints(GRID8)([b])
    sampled = F.grid_sample(index_maps(8, 8), out['keypoints'], align_corners=False)  # (1,2,1,9)
    uv = GRID8.world_to_cell(out['points_xy'][0, 0])  # (9, 2)
    torch.testing.assert_close(sampled[0, 0, 0], uv[:, 0] - 0.5, atol=1e-5, rtol=0)  # columns
    torch.testing.assert_close(sampled[0, 1, 0], uv[:, 1] - 0.5, atol=1e-5, rtol=0)  # rows
    # centre (-1.3, 0.7): u = 2.7, v = 4.7 -> column 2.2, row 4.2: cell (row 4, col 2)
    assert abs(sampled[0, 0, 0, 4].item() - 2.2) < 1e-5
    assert abs(sampled[0, 1, 0, 4].item() - 4.2) < 1e-5
    # align_corners=True gives the same cells when the sampler uses it too
    out_ac = BoxKeypoints(GRID8, align_corners=True)([b])
    sampled_ac = F.grid_sample(index_maps(8, 8), out_ac['keypoints'], align_corners=True)
    torch.testing.assert_close(sampled_ac, sampled, atol=1e-5, rtol=0)


def test_padding_validity_and_no_boxes():
    bs = [torch.tensor([box(0.0, 0.0, 1.0, 1.0), box(9.0, 0.0, 1.0, 1.0)]), torch.zeros(0, 7)]
    out = BoxKeypoints(GRID8)(bs)
    assert out['keypoints'].shape == (2, 2, 9, 2)
    assert out['valid'].tolist() == [[True, False], [False, False]]  # 9 m is out of range
    assert (out['keypoints'][1] == 0).all()
    keep = BoxKeypoints(GRID8, drop_out_of_range=False)(bs)
    assert keep['valid'].tolist() == [[True, True], [False, False]]
    none = BoxKeypoints(GRID8)([torch.zeros(0, 7), torch.zeros(0, 7)])
    assert none['keypoints'].shape == (2, 0, 9, 2) and none['valid'].shape == (2, 0)
