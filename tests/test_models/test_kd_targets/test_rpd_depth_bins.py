# Copyright (c) distillbev contributors. All rights reserved.
"""MonoMMKD's Road Plane Discretization targets and depth-uncertainty weights (reconstructed),
against hand-computed values."""
import pytest
import torch

from distillbev.models.kd_targets import (DepthUncertaintyWeight, RPDDepthBins, rpd_bin_edges,
                                          rpd_bin_index)
from distillbev.models.kd_targets.rpd_depth_bins import nearest_depth_pool, rpd_rows_per_bin


def test_bins_are_uniform_road_rows():
    # 2-10 m, 4 bins: 1/d = 0.5, 0.4, 0.3, 0.2, 0.1 -> d = 2, 2.5, 3.333, 5, 10
    edges = rpd_bin_edges(2.0, 10.0, 4)
    torch.testing.assert_close(edges, torch.tensor([2.0, 2.5, 10 / 3, 5.0, 10.0]))
    # a camera 1.5 m above the road with f = 100 px sees those depths on rows c_y + f h / d:
    # 75, 60, 45, 30, 15 px below the horizon: equal 15-row bands
    rows = 100 * 1.5 / edges
    torch.testing.assert_close(rows[:-1] - rows[1:], torch.full((4,), 15.0))
    assert rpd_rows_per_bin(100, 1.5, 2.0, 10.0, 4) == pytest.approx(15.0)
    # KITTI at 1280x384 (f ~ 743), h = 1.65 m, 2-80 m, 80 bins: ~7.47 rows per bin
    assert rpd_rows_per_bin(743.0, 1.65, 2.0, 80.0, 80) == pytest.approx(7.4706, abs=1e-4)


def test_bin_index_hand_values():
    depth = torch.tensor([0.0, 1.9, 2.0, 2.4, 2.6, 4.0, 9.0, 9.999, 10.0, 12.0])
    want = torch.tensor([-1, -1, 0, 0, 1, 2, 3, 3, -1, -1])
    assert torch.equal(rpd_bin_index(depth, 2.0, 10.0, 4), want)
    # every depth falls between the edges of its bin
    d = torch.linspace(2.0, 9.99, 200)
    idx = rpd_bin_index(d, 2.0, 10.0, 4)
    edges = rpd_bin_edges(2.0, 10.0, 4)
    assert ((edges[idx] <= d + 1e-5) & (d < edges[idx + 1] + 1e-5)).all()


DEPTH = torch.tensor([[0.0, 5.0, 0.0, 0.0],
                      [3.0, 0.0, 0.0, 0.0],
                      [2.4, 9.0, 0.0, 12.0],
                      [0.0, 0.0, 0.0, 0.0]])


def test_targets_take_the_nearest_return_per_cell():
    pooled = nearest_depth_pool(DEPTH[None, None], (2, 2))
    torch.testing.assert_close(pooled[0, 0], torch.tensor([[3.0, 0.0], [2.4, 12.0]]))
    target = RPDDepthBins(d_min=2.0, d_max=10.0, num_bins=4)
    # a list of per-sample (1, H, W) maps, as PackDepthImageInputs packs gt_depth
    out = target([DEPTH[None], torch.zeros(1, 4, 4)], shape=(2, 2))
    # 3 m -> bin 1; 2.4 m -> bin 0; 12 m beyond d_max and empty cells ignored; empty frame
    assert torch.equal(out['bins'][0], torch.tensor([[1, -1], [0, -1]]))
    assert torch.equal(out['bins'][1], torch.full((2, 2), -1))
    assert torch.equal(out['valid'][:, 0], (out['bins'] >= 0).float())
    full = target(DEPTH[None, None])  # no shape: full resolution
    assert full['bins'].shape == (1, 4, 4) and int(full['bins'][0, 1, 1]) == -1
    with pytest.raises(ValueError, match='multiple'):
        target(DEPTH[None, None], shape=(3, 3))


def test_uncertainty_weight_hand_values():
    bins = torch.tensor([[[1, -1], [0, -1]]])
    w = DepthUncertaintyWeight(alpha=2.0)(torch.zeros(1, 4, 2, 2), bins)
    # uniform over 4 bins: p(target) = 0.25 -> 1 + 2 * 0.75 = 2.5; no target -> 1
    torch.testing.assert_close(w['weight'][0, 0], torch.tensor([[2.5, 1.0], [2.5, 1.0]]))
    torch.testing.assert_close(w['discrepancy'][0, 0], torch.tensor([[0.75, 0.], [0.75, 0.]]))
    logits = torch.zeros(1, 4, 2, 2)
    logits[0, 1, 0, 0] = 50.0  # confident and right at (0, 0); wrong at (1, 0)
    w = DepthUncertaintyWeight(alpha=1.0)(logits, bins)['weight'][0, 0]
    assert float(w[0, 0]) == pytest.approx(1.0) and float(w[1, 0]) == pytest.approx(1.75)
    # a frame without any LiDAR return: weight 1 everywhere
    none = DepthUncertaintyWeight()(torch.randn(1, 4, 2, 2), torch.full((1, 2, 2), -1))
    assert torch.equal(none['weight'], torch.ones(1, 1, 2, 2))
