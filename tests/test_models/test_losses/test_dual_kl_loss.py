# Copyright (c) distillbev contributors. All rights reserved.
"""DualKLLoss (MonoMMKD, reconstructed) against hand-computed values.

Hand case: one channel over a 1x3 map, teacher p = (0.6, 0.3, 0.1), student q = (0.5, 0.1, 0.4)
(logits = log-probabilities, tau 1):
  FKL = .6 ln(.6/.5) + .3 ln(.3/.1) + .1 ln(.1/.4) = .109393 + .329584 - .138629 = 0.300347
  RKL = .5 ln(.5/.6) + .1 ln(.1/.3) + .4 ln(.4/.1) = -.091161 - .109861 + .554518 = 0.353496
  head (teacher mass up to 0.5) = {0}: g_head = |.6 - .5| = .1, g_tail = .2 + .3 = .5, mu = 1/6
  L = FKL / 6 + 5 RKL / 6 = 0.050058 + 0.294580 = 0.344638
With weights (1, 2, 1) on the KL summands: FKL = 0.629931, RKL = 0.243635, L = 0.308017.
"""
import math

import pytest
import torch

from distillbev.models.losses import DualKLLoss
from distillbev.models.losses.dual_kl_loss import adaptive_kl_share

P_T = torch.tensor([0.6, 0.3, 0.1])
P_S = torch.tensor([0.5, 0.1, 0.4])


def _maps(p):
    return p.log().reshape(1, 1, 1, 3)


def test_hand_values_adaptive():
    loss = DualKLLoss(tau=1.0)
    assert float(loss(_maps(P_S), _maps(P_T))) == pytest.approx(0.344638, abs=1e-5)
    assert float(adaptive_kl_share(P_T, P_S, 0.5)) == pytest.approx(1 / 6)
    w = torch.tensor([1., 2., 1.]).reshape(1, 1, 1, 3)
    assert float(loss(_maps(P_S), _maps(P_T), w)) == pytest.approx(0.308017, abs=1e-5)
    # the weight is resized to the level: a (1, 1, 1, 1) weight of 2 doubles the loss
    assert float(loss(_maps(P_S), _maps(P_T), torch.full((1, 1, 1, 1), 2.0))) == \
        pytest.approx(2 * 0.344638, abs=1e-5)


def test_fixed_balance_temperature_and_levels():
    fkl, rkl = 0.300347, 0.353496
    fixed = DualKLLoss(balance='fixed', alpha=0.25, loss_weight=2.0)
    want = 2 * (fkl / 4 + 3 * rkl / 4)
    assert float(fixed(_maps(P_S), _maps(P_T))) == pytest.approx(want, abs=1e-5)
    # tau 2 on logits 2 ln p gives the same distributions, times tau^2 = 4
    hot = DualKLLoss(tau=2.0, balance='fixed', alpha=1.0)
    assert float(hot(2 * _maps(P_S), 2 * _maps(P_T))) == pytest.approx(4 * fkl, abs=1e-5)
    # two levels sum; batch and channels average (a copy of the same distribution: same mean)
    s = _maps(P_S).repeat(2, 3, 1, 1)
    t = _maps(P_T).repeat(2, 3, 1, 1)
    loss = DualKLLoss()
    two = loss([s, _maps(P_S)], [t, _maps(P_T)])
    assert float(two) == pytest.approx(2 * 0.344638, abs=1e-5)


def test_channel_softmax_is_per_location():
    # per location a distribution over 3 channels: the same numbers at 2 locations
    s = P_S.log().reshape(1, 3, 1, 1).repeat(1, 1, 1, 2)
    t = P_T.log().reshape(1, 3, 1, 1).repeat(1, 1, 1, 2)
    loss = DualKLLoss(softmax_over='channel')
    assert float(loss(s, t)) == pytest.approx(0.344638, abs=1e-5)
    w = torch.tensor([1., 3.]).reshape(1, 1, 1, 2)  # a location's weight scales its whole KL
    assert float(loss(s, t, w)) == pytest.approx(2 * 0.344638, abs=1e-5)


def test_identical_zero_weights_and_gradients():
    torch.manual_seed(0)
    s = torch.randn(2, 4, 3, 5, requires_grad=True)
    t = torch.randn(2, 4, 3, 5)
    loss = DualKLLoss()
    assert float(loss(t.clone(), t)) == pytest.approx(0.0, abs=1e-6)
    # all-zero weights (e.g. a frame whose weights vanish): exactly 0, finite, connected
    zero = loss(s, t, torch.zeros(2, 1, 3, 5))
    assert float(zero) == 0.0 and zero.requires_grad
    out = loss(s, t, torch.ones(2, 1, 6, 10))
    out.backward()
    assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0
    assert torch.isfinite(out) and float(out) > 0
    # 'features' weighting: w = 1 changes nothing
    feats = DualKLLoss(weight_on='features')
    assert float(feats(s, t, torch.ones(2, 1, 3, 5))) == pytest.approx(float(loss(s, t)),
                                                                       rel=1e-6)
    assert math.isfinite(float(loss(s * 1e4, t * 1e4)))  # extreme logits stay finite


def test_errors():
    with pytest.raises(ValueError, match='softmax_over'):
        DualKLLoss(softmax_over='pixel')
    with pytest.raises(ValueError, match='adapter'):
        DualKLLoss()(torch.zeros(1, 2, 3, 3), torch.zeros(1, 4, 3, 3))
    with pytest.raises(ValueError, match=r'\(B, 1, h, w\)'):
        DualKLLoss()(torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 3, 3), torch.ones(1, 2, 3, 3))
