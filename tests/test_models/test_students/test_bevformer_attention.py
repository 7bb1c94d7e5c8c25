# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer encoder geometry: SCA pillar points land on our own camera projection (through
``lidar2img`` and ``img_aug_matrix``, and through a BEV augmentation), views behind the camera are
masked; TSA's alignment puts a previous-frame feature on its current cell, and without history
the queries attend to themselves."""
import math

import numpy as np
import pytest
import torch

pytest.importorskip('mmcv.ops')

from distillbev.models.students.bevdet import camera_params  # noqa: E402
from distillbev.models.students.bevformer import (  # noqa: E402
    BEVFormerEncoder, BEVTemporalSelfAttention, pillar_points, project_to_views,
    reference_points_cam)
from distillbev.structures.bev_grid import BEVGrid  # noqa: E402
from distillbev.testing import camera_ring  # noqa: E402

# 16 x 16 cells of 2 m over +-16 m: cell centres at odd metres
GRID = BEVGrid([-16.0, -16.0, -5.0, 16.0, 16.0, 3.0], cell_size=2.0)
AUG = np.array([[0.5, 0, 0, 3.0], [0, 0.5, 0, -2.0], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)


def _rig(lidar_aug=np.eye(4, dtype=np.float32)):
    rig = camera_ring(6, 128, 160, focal=80.0, mount_height=0.0)  # 128 x 160 original images
    rig['img_aug_matrix'] = np.tile(AUG, (6, 1, 1))  # -> 64 x 80 augmented images
    rig['lidar_aug_matrix'] = lidar_aug
    return rig


def test_pillar_heights_are_the_published_ones():
    pts = pillar_points(GRID, 4, (-5.0, 3.0))
    assert pts.shape == (4, 256, 3)
    assert torch.allclose(pts[:, 0, 2], torch.tensor([-4.5, -13 / 6, 1 / 6, 2.5]), atol=1e-5)
    assert torch.allclose(pts[0, 8 * 16 + 12, :2], torch.tensor([9.0, 1.0]))  # row 8, col 12


def test_reference_point_projects_where_lidar2img_and_img_aug_say():
    rig = _rig()
    cam = camera_params([rig], 6, torch.device('cpu'))
    ref, mask = reference_points_cam(pillar_points(GRID, 4, (-5.0, 3.0)), cam, (64, 80))
    query = 8 * 16 + 12  # cell centre (9, 1); lowest pillar point z = -4.5
    # by hand, front camera (looks along +x): X = -y = -1, Y = -z = 4.5, Z = x = 9
    u0, v0 = 80 * (-1 / 9) + 80, 80 * (4.5 / 9) + 64
    u, v = 0.5 * u0 + 3.0, 0.5 * v0 - 2.0  # img_aug: half size, shifted by (3, -2)
    assert ref[0, 0, query, 0].tolist() == pytest.approx([u / 80, v / 64], abs=1e-5)
    # the same through the metainfo's lidar2img (numpy)
    p = rig['lidar2img'][0] @ np.array([9.0, 1.0, -4.5, 1.0])
    pix = AUG @ np.array([p[0] / p[2], p[1] / p[2], p[2], 1.0])
    assert ref[0, 0, query, 0].tolist() == pytest.approx([pix[0] / 80, pix[1] / 64], abs=1e-5)
    # only the front camera sees it: the back camera has it behind (depth -9), the others
    # outside their 90-degree field of view
    assert mask[0, :, query, 0].tolist() == [True, False, False, False, False, False]
    # depth along each optical axis (yaw 60 i deg): x cos + y sin; the back camera has the
    # point 9 m behind it, the side cameras in front but outside the image
    _, depth = project_to_views(torch.tensor([[[9.0, 1.0, -4.5]]]), cam)
    expect = [9 * math.cos(a) + math.sin(a) for a in np.deg2rad(np.arange(0, 360, 60))]
    assert depth[0, :, 0].tolist() == pytest.approx(expect, abs=1e-4)
    assert depth[0, 3, 0] == pytest.approx(-9.0) and (depth[0, [1, 5], 0] > 0).all()


def test_reference_points_follow_the_bev_augmentation():
    """With a 90-degree BEV rotation A the cell at A (9, 1) = (-1, 9) sees that pixel."""
    rot = np.eye(4, dtype=np.float32)
    rot[:2, :2] = [[0.0, -1.0], [1.0, 0.0]]
    cam = camera_params([_rig(rot)], 6, torch.device('cpu'))
    ref, mask = reference_points_cam(pillar_points(GRID, 4, (-5.0, 3.0)), cam, (64, 80))
    query = 12 * 16 + 7  # centre (-1, 9)
    u, v = 0.5 * (80 * (-1 / 9) + 80) + 3.0, 0.5 * (80 * (4.5 / 9) + 64) - 2.0
    assert ref[0, 0, query, 0].tolist() == pytest.approx([u / 80, v / 64], abs=1e-4)
    assert mask[0, 0, query, 0]


def _hot(x, y, grid):
    bev = torch.zeros(1, 8, *grid.shape)
    col, row = grid.world_to_index(torch.tensor([x, y])).tolist()
    bev[0, :, row, col] = 1.0
    return bev


def test_previous_bev_lands_on_the_current_cell_of_its_world_point():
    enc = BEVFormerEncoder([-8.0, -8.0, -5.0, 8.0, 8.0, 3.0], (20, 20), embed_dims=8,
                           num_layers=1, num_feature_levels=1,
                           layer_cfg=dict(num_heads=2, feedforward_channels=16))
    grid = enc.grid  # 0.8 m cells
    prev = _hot(4.4, -2.0, grid)  # an object at (4.4, -2.0) in the previous frame
    shift = torch.eye(4)[None]
    shift[0, 0, 3] = 2.4  # the ego moved 2.4 m along x: current (x, y) was at (x + 2.4, y)
    out = enc.align_prev_bev(prev, shift)
    col, row = grid.world_to_index(torch.tensor([2.0, -2.0])).tolist()
    assert (out[0, 0] > 1e-4).nonzero().tolist() == [[row, col]]
    assert out[0, 0, row, col] == pytest.approx(1.0, abs=1e-5)
    rot = torch.eye(4)[None]  # the ego turned 90 degrees: current (x, y) was at (-y, x)
    rot[0, :2, :2] = torch.tensor([[0.0, -1.0], [1.0, 0.0]])
    out = enc.align_prev_bev(prev, rot)
    col, row = grid.world_to_index(torch.tensor([-2.0, -4.4])).tolist()
    assert out[0, 0, row, col] == pytest.approx(1.0) and out[0, 0].sum() == pytest.approx(1.0)
    # and through TSA: with identity projections, zero offsets and uniform weights a query reads
    # the mean of [aligned previous BEV, itself] at its own cell: 0.5 there for zero queries
    tsa = BEVTemporalSelfAttention(embed_dims=8, num_heads=2, num_points=4, dropout=0.0).eval()
    with torch.no_grad():
        for lin in (tsa.value_proj, tsa.output_proj):
            lin.weight.copy_(torch.eye(8))
        tsa.sampling_offsets.bias.zero_()
    zeros = torch.zeros(1, 400, 8)
    with torch.no_grad():
        res = tsa(zeros, zeros, enc.ref_2d(torch.device('cpu')), (20, 20),
                  out.flatten(2).transpose(1, 2))
    res = res[0, :, 0].view(20, 20)
    assert res[row, col] == pytest.approx(0.5, abs=1e-6)
    assert res.sum() == pytest.approx(0.5, abs=1e-5)


def test_without_history_the_queries_attend_to_themselves():
    torch.manual_seed(0)
    tsa = BEVTemporalSelfAttention(embed_dims=8, num_heads=2, num_points=4, dropout=0.0).eval()
    q, pos = torch.randn(2, 36, 8), torch.randn(2, 36, 8)
    ref = GRID.with_shape((6, 6))
    ref_2d = ref.world_to_cell(ref.cell_centers()).flatten(0, 1) / 6
    prev = torch.randn(2, 36, 8)
    with torch.no_grad():
        alone = tsa(q, pos, ref_2d, (6, 6))
        masked = tsa(q, pos, ref_2d, (6, 6), prev, torch.tensor([False, True]))
        self_as_prev = tsa(q, pos, ref_2d, (6, 6), q)
    assert torch.allclose(alone, self_as_prev, atol=1e-6)
    assert torch.allclose(masked[0], alone[0], atol=1e-6)  # no history: same as alone
    assert not torch.allclose(masked[1], alone[1], atol=1e-3)  # history used
