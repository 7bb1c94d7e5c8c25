# Copyright (c) distillbev contributors. All rights reserved.
import pytest
import torch

from distillbev.benchmarking.pool_peers import VARIANTS
from distillbev.models.view_transforms import (bev_cell_of, bev_pool, bev_pool_depth,
                                               bev_pool_naive)

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


def _lift_inputs(seed, repeat=1):
    """Depth (B, N, D, h, w) on the simplex, context (B, N, h, w, C) and the points' xyz."""
    gen = torch.Generator().manual_seed(seed)
    feats, geom = _random_inputs(seed)
    feats, geom = feats.repeat(1, 1, repeat, 1, 1, 1), geom.repeat(1, 1, repeat, 1, 1, 1)
    depth = torch.randn(feats.shape[:-1], generator=gen).softmax(2)
    context = torch.randn(*feats.shape[:2], *feats.shape[3:], generator=gen)
    return depth, context, geom


def _naive_with_grads(depth, context, geom, grid, weight):
    """Python-loop pooling of depth x context in float64 and autograd through it."""
    d = depth.double().requires_grad_(True)
    c = context.double().requires_grad_(True)
    out = bev_pool_naive(d.unsqueeze(-1) * c.unsqueeze(2), geom, grid)
    (out.double() * weight).sum().backward()
    return out, d.grad.float(), c.grad.float()


def _with_grads(pooler, depth, context, geom, grid, weight):
    d = depth.clone().requires_grad_(True)
    c = context.clone().requires_grad_(True)
    out = pooler(d, c, geom, grid)
    (out * weight).sum().backward()
    return out, d.grad, c.grad


@pytest.mark.parametrize('grid', [GRID, GRID_Z])
@pytest.mark.parametrize('variant', list(VARIANTS))
def test_pooling_variants_match_naive_forward_and_gradients(variant, grid):
    """Library pooling and its benchmarked peers: BEV map and d/d depth, d/d context."""
    depth, context, geom = _lift_inputs(4, repeat=3)  # several points per cell
    nz = 1 if grid is GRID else 2
    weight = torch.randn(2, 5 * nz, 6, 8, generator=torch.Generator().manual_seed(5))
    ref = _naive_with_grads(depth, context, geom, grid, weight)
    got = _with_grads(VARIANTS[variant], depth, context, geom, grid, weight)
    assert got[0].shape == (2, 5 * nz, 6, 8) and got[0].dtype == torch.float32
    for name, a, b in zip(('bev', 'grad depth', 'grad context'), got, ref):
        torch.testing.assert_close(a, b.float(), atol=1e-5, rtol=1e-5, msg=name)
    assert ref[1].abs().sum() > 0 and (ref[1] == 0).any()  # points outside get no gradient


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_pooling_variants_are_deterministic(variant):
    """Same bits on every run, also with several threads."""
    depth, context, geom = _lift_inputs(6, repeat=20)
    weight = torch.randn(2, 5, 6, 8, generator=torch.Generator().manual_seed(7))
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        runs = [_with_grads(VARIANTS[variant], depth, context, geom, GRID, weight)
                for _ in range(3)]
    finally:
        torch.set_num_threads(threads)
    for run in runs[1:]:
        assert all(torch.equal(a, b) for a, b in zip(runs[0], run))


def test_bev_pool_depth_equals_bev_pool_of_the_product():
    depth, context, geom = _lift_inputs(8)
    out = bev_pool_depth(depth, context, geom, GRID_Z)
    ref = bev_pool(depth.unsqueeze(-1) * context.unsqueeze(2), geom, GRID_Z)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-6)


def test_bev_pool_gradient_matches_naive_autograd():
    feats, geom = _random_inputs(9)
    weight = torch.randn(2, 10, 6, 8, generator=torch.Generator().manual_seed(10))
    f = feats.double().requires_grad_(True)
    (bev_pool_naive(f, geom, GRID_Z).double() * weight).sum().backward()
    g = feats.clone().requires_grad_(True)
    (bev_pool(g, geom, GRID_Z) * weight).sum().backward()
    torch.testing.assert_close(g.grad, f.grad.float(), atol=1e-5, rtol=1e-5)


def test_bev_pool_depth_shape_errors_and_empty():
    depth, context, geom = _lift_inputs(11)
    with pytest.raises(ValueError, match='context'):
        bev_pool_depth(depth, context.transpose(2, 3), geom, GRID)
    far = torch.full_like(geom, 100.0)
    d = depth.clone().requires_grad_(True)
    out = bev_pool_depth(d, context, far, GRID)
    assert out.shape == (2, 5, 6, 8) and out.abs().sum() == 0
    out.sum().backward()
    assert d.grad.abs().sum() == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_bev_pool_depth_cuda_matches_cpu_and_is_deterministic():
    depth, context, geom = _lift_inputs(12, repeat=50)
    weight = torch.randn(2, 5, 6, 8, generator=torch.Generator().manual_seed(13))
    ref = _with_grads(bev_pool_depth, depth, context, geom, GRID, weight)
    runs = [_with_grads(bev_pool_depth, depth.cuda(), context.cuda(), geom.cuda(), GRID,
                        weight.cuda()) for _ in range(3)]
    for a, b in zip(runs[0], ref):
        torch.testing.assert_close(a.cpu(), b, atol=1e-5, rtol=1e-5)
    for run in runs[1:]:
        assert all(torch.equal(a, b) for a, b in zip(runs[0], run))


def test_weighted_gather_pool_cpu_product_equals_the_sorted_path():
    """The CPU sparse product and the gather + sorted segment sum used off the CPU agree."""
    from distillbev.models.view_transforms.splat import (sorted_segment_pool,
                                                         weighted_gather_pool)
    gen = torch.Generator().manual_seed(14)
    weights, values = torch.rand(300, generator=gen), torch.randn(40, 6, generator=gen)
    rows = torch.randint(0, 25, (300, ), generator=gen)
    cols = torch.randint(0, 40, (300, ), generator=gen)
    out = weighted_gather_pool(weights, values, rows, cols, 25)
    ref = sorted_segment_pool(weights.unsqueeze(1) * values[cols], rows, 25)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-6)
    assert out.shape == (25, 6)
