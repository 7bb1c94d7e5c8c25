# Copyright (c) distillbev contributors. All rights reserved.
import pytest
import torch

from distillbev.models.view_transforms import bev_cell_of, bev_pool, bev_pool_naive

GRID = dict(x=[-2.0, 2.0, 0.5], y=[-1.5, 1.5, 0.5], z=[-1.0, 1.0, 2.0])  # X=8, Y=6, Z=1
GRID_Z = dict(x=[-2.0, 2.0, 0.5], y=[-1.5, 1.5, 0.5], z=[-1.0, 1.0, 1.0])  # Z=2


def _random_inputs(seed, grid_scale=1.5):
    gen = torch.Generator().manual_seed(seed)
    shape = (2, 3, 4, 2, 3)  # B, N, D, h, w
    feats = torch.randn(*shape, 5, generator=gen)
    # Spread beyond the grid on every axis so that some points are dropped.
    geom = (torch.rand(*shape, 3, generator=gen) * 2 - 1) * torch.tensor(
        [2.0, 1.5, 1.0]) * grid_scale
    return feats, geom


@pytest.mark.parametrize('grid', [GRID, GRID_Z])
def test_bev_pool_matches_naive(grid):
    feats, geom = _random_inputs(0)
    out = bev_pool(feats, geom, grid)
    ref = bev_pool_naive(feats, geom, grid)
    nz = 1 if grid is GRID else 2
    assert out.shape == (2, 5 * nz, 6, 8)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    # some points were dropped and some cells hold several points
    assert out.abs().sum() > 0


def test_bev_pool_hand_case():
    # two points in cell (row=y 0, col=x 3); one in (row 5, col 7); one outside in x
    geom = torch.tensor([[-0.2, -1.4, 0.0], [-0.4, -1.1, 0.5], [1.9, 1.4, -0.9],
                         [2.1, 0.0, 0.0]]).view(1, 1, 4, 1, 1, 3)
    feats = torch.tensor([[1.0, 2.0], [10.0, 20.0], [3.0, 4.0],
                          [100.0, 100.0]]).view(1, 1, 4, 1, 1, 2)
    out = bev_pool(feats, geom, GRID)
    expected = torch.zeros(1, 2, 6, 8)
    expected[0, :, 0, 3] = torch.tensor([11.0, 22.0])
    expected[0, :, 5, 7] = torch.tensor([3.0, 4.0])
    torch.testing.assert_close(out, expected)
    assert bev_cell_of((-0.2, -1.4), GRID) == (0, 3)
    assert bev_cell_of((1.9, 1.4), GRID) == (5, 7)


def test_bev_pool_z_channels_are_z_major():
    # nz = 2: channel index z * C + c
    geom = torch.tensor([[0.1, 0.1, -0.5], [0.1, 0.1, 0.5]]).view(1, 1, 2, 1, 1, 3)
    feats = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 1, 2, 1, 1, 2)
    out = bev_pool(feats, geom, GRID_Z)
    assert out[0, :, 3, 4].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert out.abs().sum().item() == 10.0


def test_bev_pool_gradient_and_determinism():
    feats, geom = _random_inputs(1)
    feats.requires_grad_(True)
    weight = torch.randn(2, 5, 6, 8, generator=torch.Generator().manual_seed(2))
    out = bev_pool(feats, geom, GRID)
    (out * weight).sum().backward()
    # d out / d feat of a point = weight of its cell, 0 when outside
    expected = torch.zeros_like(feats)
    pts = geom.view(2, -1, 3)
    exp_flat = expected.view(2, -1, 5)
    for b in range(2):
        for p in range(pts.shape[1]):
            row, col = bev_cell_of(pts[b, p, :2].tolist(), GRID)
            z = pts[b, p, 2].item()
            if 0 <= row < 6 and 0 <= col < 8 and -1.0 <= z < 1.0:
                exp_flat[b, p] = weight[b, :, row, col]
    torch.testing.assert_close(feats.grad, expected)
    torch.testing.assert_close(bev_pool(feats, geom, GRID), out, atol=0, rtol=0)


def test_bev_pool_empty():
    feats = torch.ones(1, 1, 2, 1, 1, 3)
    geom = torch.full((1, 1, 2, 1, 1, 3), 100.0)
    out = bev_pool(feats, geom, GRID)
    assert out.shape == (1, 3, 6, 8) and out.abs().sum() == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_bev_pool_cuda_matches_cpu_and_is_deterministic():
    feats, geom = _random_inputs(3)
    feats = feats.repeat(1, 1, 50, 1, 1, 1)
    geom = geom.repeat(1, 1, 50, 1, 1, 1)
    ref = bev_pool(feats, geom, GRID)
    outs = [bev_pool(feats.cuda(), geom.cuda(), GRID) for _ in range(3)]
    torch.testing.assert_close(outs[0].cpu(), ref, atol=1e-5, rtol=1e-5)
    assert all(torch.equal(outs[0], o) for o in outs[1:])
