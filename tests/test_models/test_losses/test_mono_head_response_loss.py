# Copyright (c) distillbev contributors. All rights reserved.
"""MonoHeadResponseLoss (MonoDistill response level) against hand-computed values: windowed
L1 per head (depth logit only), heading KL with the official 'mean' reduction over padded slots,
residual L1 at the GT bin, and frames without objects."""
import math

import pytest
import torch

from distillbev.models.losses import MonoHeadResponseLoss

CH = dict(offset_2d=2, size_2d=2, offset_3d=2, size_3d=3, depth=2, heading=24, heatmap=3)


def _maps():
    t = {k: torch.randn(1, c, 2, 3) for k, c in CH.items()}
    s = {k: v.clone() for k, v in t.items()}
    s['offset_2d'][0, :, 0, 0] += torch.tensor([1.0, -2.0])
    s['offset_2d'][0, :, 0, 1] += torch.tensor([0.0, 1.0])
    s['offset_2d'][0, :, 1, 2] += 5.0  # outside the window
    s['depth'][0, 0, 0, 0] += 4.0  # depth logit
    s['depth'][0, 1, 0, 0] += 10.0  # log-variance: not distilled
    s['heatmap'] += 3.0  # heatmap: not distilled
    # heading at cell (0, 1) = flat index 1: teacher uniform bins, student bin 0 at log 12
    t['heading'][0, :12, 0, 1] = 0.0
    s['heading'][0, :12, 0, 1] = 0.0
    s['heading'][0, 0, 0, 1] = math.log(12.0)
    t['heading'][0, 12 + 3, 0, 1] = 0.2
    s['heading'][0, 12 + 3, 0, 1] = 0.5
    for v in s.values():
        v.requires_grad_(True)
    mask = torch.zeros(1, 1, 2, 3)
    mask[0, 0, 0, :2] = 1.0
    indices = torch.tensor([[1, 0]])  # slot 1 is padding (cell 0)
    valid = torch.tensor([[True, False]])
    bins = torch.tensor([[3, 0]])
    return s, t, mask, indices, valid, bins


KL = (1 / 12) * math.log(23 / 144) + (11 / 12) * math.log(23 / 12)


def test_hand_value_code_parity():
    s, t, mask, indices, valid, bins = _maps()
    loss = MonoHeadResponseLoss()(s, t, mask, indices, valid, bins)
    # offset_2d (1 + 2 + 0 + 1) / (2 cells * 2 ch); depth 4 / 2 cells; KL mean over 2 x 12
    # entries (the padded slot counts, with zero divergence); residual |0.5 - 0.2| / 2 slots
    expect = 1.0 + 2.0 + KL / 24 + 0.3 / 2
    assert float(loss) == pytest.approx(expect, rel=1e-5)
    loss.backward()
    assert s['heatmap'].grad is None and float(s['depth'].grad[0, 1].abs().sum()) == 0.0


def test_valid_slots_only_and_batchmean():
    s, t, mask, indices, valid, bins = _maps()
    loss = MonoHeadResponseLoss(mask_padded=True)(s, t, mask, indices, valid, bins)
    assert float(loss) == pytest.approx(3.0 + KL / 12 + 0.3, rel=1e-5)
    loss = MonoHeadResponseLoss(kl_reduction='batchmean', loss_weight=2.0)(
        s, t, mask, indices, valid, bins)
    assert float(loss) == pytest.approx(2 * (3.0 + KL / 2 + 0.15), rel=1e-5)
    # no heading: the windowed L1 terms only
    loss = MonoHeadResponseLoss(heading_key=None)(s, t, mask)
    assert float(loss) == pytest.approx(3.0, rel=1e-6)


def test_frame_without_objects():
    s, t, _, _, _, _ = _maps()
    with torch.no_grad():
        s['heading'][0, :12, 0, 0] = t['heading'][0, :12, 0, 0] + torch.arange(12.0)
    empty = torch.zeros(1, 1, 2, 3)
    idx = torch.zeros(1, 50, dtype=torch.long)
    valid = torch.zeros(1, 50, dtype=torch.bool)
    loss = MonoHeadResponseLoss(mask_padded=True)(s, t, empty, idx, valid)
    assert torch.isfinite(loss) and float(loss) == 0.0
    loss.backward()
    # code parity: the padded slots (all at cell 0) still compare the heading there
    loss = MonoHeadResponseLoss()(s, t, empty, idx, valid)
    assert torch.isfinite(loss) and float(loss) > 0.0


def test_errors():
    s, t, mask, *_ = _maps()
    with pytest.raises(ValueError, match='indices'):
        MonoHeadResponseLoss()(s, t, mask)
    with pytest.raises(ValueError, match='kl_reduction'):
        MonoHeadResponseLoss(kl_reduction='sum')
