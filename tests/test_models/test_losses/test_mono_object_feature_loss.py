# Copyright (c) distillbev contributors. All rights reserved.
"""MonoObjectFeatureLoss (MonoDistill object level) against hand-computed values, with empty
masks (the official code divides by zero there) and the MaskedFeatureMimicLoss equivalence."""
import pytest
import torch

from distillbev.models.losses import MaskedFeatureMimicLoss, MonoObjectFeatureLoss


def _level():
    s = torch.zeros(2, 2, 2, 2, requires_grad=True)
    t = torch.full((2, 2, 2, 2), 2.0)
    t[0, :, 0, 0] = torch.tensor([1.0, 3.0])  # masked: 1/2 * mean(1, 9) = 2.5
    t[0, :, 0, 1] = 0.0  # masked but the teacher vector is zero: dropped
    mask = torch.zeros(2, 1, 2, 2)
    mask[0, 0, 0, :] = 1.0  # sample 1 has no object
    return s, t, mask


def test_hand_value_half_mse_nonzero_teacher():
    s, t, mask = _level()
    loss = MonoObjectFeatureLoss()(s, t, mask)  # weight 10, N = 1 cell, B = 2
    assert float(loss) == pytest.approx(10 * 2.5 / (2 * 1))
    loss.backward()
    # gradient only on the kept cell: d/ds 10 * 0.5 * mean_c (s - t)^2 / 2 = 10 * (s - t) / 4
    g = s.grad
    torch.testing.assert_close(g[0, :, 0, 0], torch.tensor([-2.5, -7.5]))
    assert float(g.abs().sum()) == pytest.approx(10.0)
    # without the non-zero filter both masked cells count: (2.5 + 0) / (2 * 2)
    loss = MonoObjectFeatureLoss(nonzero_teacher=False, loss_weight=1.0)(s, t, mask)
    assert float(loss) == pytest.approx(2.5 / 4)


def test_l1_and_levels_are_summed():
    s, t, mask = _level()
    l1 = MonoObjectFeatureLoss(criterion='l1', half=False, loss_weight=1.0)
    assert float(l1(s, t, mask)) == pytest.approx(2.0 / 2)  # mean(|1|, |3|) / (B * N)
    both = l1([s, s], [t, t], [mask, mask])
    assert float(both) == pytest.approx(2.0)


def test_empty_masks_give_zero_with_graph():
    s = torch.randn(2, 3, 4, 4, requires_grad=True)
    t = torch.randn(2, 3, 4, 4)
    loss = MonoObjectFeatureLoss()([s, s[:, :, :2, :2]], [t, t[:, :, :2, :2]],
                                   [torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 2, 2)])
    assert torch.isfinite(loss) and float(loss) == 0.0 and loss.dtype == torch.float32
    loss.backward()
    assert s.grad is not None and float(s.grad.abs().sum()) == 0.0


def test_matches_masked_feature_mimic_monodistill_setting():
    torch.manual_seed(0)
    s = [torch.randn(2, 4, 6, 8), torch.randn(2, 8, 3, 4)]
    t = [torch.randn(2, 4, 6, 8), torch.randn(2, 8, 3, 4)]
    t[0][:, :, :2] = 0.0
    m = [(torch.rand(2, 1, 6, 8) > 0.5).float(), (torch.rand(2, 1, 3, 4) > 0.5).float()]
    ref = MaskedFeatureMimicLoss(loss_type='mse', half=True, normalize='mask_sum_and_batch',
                                 nonzero_teacher=True, loss_weight=10.0)
    torch.testing.assert_close(MonoObjectFeatureLoss()(s, t, m), ref(s, t, m))


def test_bad_inputs():
    with pytest.raises(ValueError, match='criterion'):
        MonoObjectFeatureLoss(criterion='huber')
    with pytest.raises(ValueError, match='adapter'):
        MonoObjectFeatureLoss()(torch.zeros(1, 2, 4, 4), torch.zeros(1, 3, 4, 4),
                                torch.ones(1, 1, 4, 4))
