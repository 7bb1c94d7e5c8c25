# Copyright (c) distillbev contributors. All rights reserved.
"""DepthMimicLoss (MonoMMKD's modal-mimicking loss, reconstructed) against hand values."""
import math

import pytest
import torch

from distillbev.models.losses import DepthMimicLoss

BINS = torch.tensor([[[1, -1], [0, -1]]])  # two cells with a target


def test_hand_values():
    loss = DepthMimicLoss(loss_weight=1.0)
    # uniform over 4 bins: CE = ln 4 at each target cell, mean ln 4
    assert float(loss(torch.zeros(1, 4, 2, 2), BINS)) == pytest.approx(math.log(4))
    # softmax (1, 2, 1, 4) / 8 everywhere: bin 1 -> ln 4, bin 0 -> ln 8; mean over the 2 cells
    logits = torch.log(torch.tensor([1., 2., 1., 4.])).reshape(1, 4, 1, 1).repeat(1, 1, 2, 2)
    want = (math.log(4) + math.log(8)) / 2  # 1.732868
    assert float(loss(logits, BINS)) == pytest.approx(want, rel=1e-6)
    assert float(DepthMimicLoss(loss_weight=0.5)(logits, BINS)) == pytest.approx(want / 2,
                                                                                 rel=1e-6)


def test_no_target_is_zero_and_connected():
    logits = torch.randn(2, 4, 2, 2, requires_grad=True)
    out = DepthMimicLoss()(logits, torch.full((2, 2, 2), -1))
    assert float(out) == 0.0 and out.requires_grad
    out.backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))


def test_errors():
    with pytest.raises(ValueError, match='num_bins'):
        DepthMimicLoss()(torch.zeros(1, 2, 2, 2), torch.tensor([[[3, -1], [0, -1]]]))
    with pytest.raises(ValueError, match='branch size'):
        DepthMimicLoss()(torch.zeros(1, 4, 3, 3), BINS)
