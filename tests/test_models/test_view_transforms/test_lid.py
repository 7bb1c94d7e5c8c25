# Copyright (c) distillbev contributors. All rights reserved.
"""CaDDN's linear-increasing depth bins and focal depth loss, against hand-computed values."""
import math

import pytest
import torch

from distillbev.models.view_transforms import (create_frustum, depth_bins, depth_focal_loss,
                                               lid_bin_size, lid_bins, lid_index)


def test_lid_bins_by_hand():
    # d_min 1, d_max 7, D 3: bin_size = 2 * 6 / (3 * 4) = 1; edges 1 + k (k + 1) / 2
    assert lid_bin_size(1.0, 7.0, 3) == 1.0
    assert lid_bins(1.0, 7.0, 3).tolist() == [1.0, 2.0, 4.0, 7.0]
    # CMKD's bins: 120 over [2, 46.8]: bin_size = 89.6 / 14520
    edges = lid_bins(2.0, 46.8, 120)
    assert edges.shape == (121, )
    assert edges[1].item() == pytest.approx(2.0 + 89.6 / 14520, rel=1e-6)
    assert edges[-1].item() == pytest.approx(46.8, rel=1e-6)
    # widths grow linearly: w_k = (k + 1) * bin_size
    widths = edges.double().diff()
    assert widths[119].item() == pytest.approx(120 * 89.6 / 14520, rel=1e-5)


def test_lid_index_by_hand():
    depth = torch.tensor([1.0, 2.0, 3.0, 4.0, 6.99, 7.0, 0.5, float('nan'), float('inf')])
    # idx(d) = -0.5 + 0.5 sqrt(1 + 8 (d - 1)): idx(2) = 1, idx(3) = -0.5 + 0.5 sqrt(17),
    # idx(4) = 2
    cont = lid_index(depth[:5], 1.0, 7.0, 3)
    assert cont[:4].tolist() == pytest.approx([0.0, 1.0, -0.5 + 0.5 * math.sqrt(17), 2.0])
    # classes: [1, 2) -> 0, [2, 4) -> 1, [4, 7) -> 2; outside / not finite -> 3 (out of range)
    assert lid_index(depth, 1.0, 7.0, 3, target=True).tolist() == [0, 1, 1, 2, 2, 3, 3, 3, 3]


def test_frustum_planes_are_lid_lower_edges():
    cfg = dict(mode='LID', min=1.0, max=7.0, num_bins=3)
    assert depth_bins(cfg).tolist() == [1.0, 2.0, 4.0]
    frustum = create_frustum(cfg, (1, 2), (8, 8))
    assert frustum.shape == (3, 1, 2, 3)
    assert frustum[:, 0, 1].tolist() == [[12.0, 4.0, 1.0], [12.0, 4.0, 2.0], [12.0, 4.0, 4.0]]
    with pytest.raises(ValueError, match='LID'):
        depth_bins(dict(mode='UD', min=1.0, max=7.0, num_bins=3))


def test_depth_focal_loss_by_hand():
    cfg = dict(mode='LID', min=1.0, max=7.0, num_bins=3)
    probs = torch.zeros(1, 4, 1, 3)
    probs[0, :, 0, 0] = torch.tensor([0.1, 0.2, 0.3, 0.4])  # target 4.5 m -> class 2
    probs[0, :, 0, 1] = torch.tensor([0.25, 0.25, 0.25, 0.25])  # target 9 m -> class 3
    probs[0, :, 0, 2] = torch.tensor([0.7, 0.1, 0.1, 0.1])  # no LiDAR return: unsupervised
    # stride 2: the nearest return of each 2x2 patch
    gt = torch.zeros(1, 2, 6)
    gt[0, 0, 0], gt[0, 1, 1] = 4.5, 5.0  # min -> 4.5
    gt[0, 1, 3] = 9.0
    loss = depth_focal_loss(probs, gt, cfg, (2, 2), alpha=0.25, gamma=2.0, loss_weight=2.0)
    fl = [-0.25 * 0.7 ** 2 * math.log(0.3), -0.25 * 0.75 ** 2 * math.log(0.25)]
    assert loss.item() == pytest.approx(2.0 * sum(fl) / 2, rel=1e-6)
    # no return anywhere: finite zero
    zero = depth_focal_loss(probs.requires_grad_(), torch.zeros(1, 2, 6), cfg, (2, 2))
    assert zero.item() == 0.0
    zero.backward()
