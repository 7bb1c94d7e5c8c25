# Copyright (c) distillbev contributors. All rights reserved.
import pytest
import torch

from distillbev.models.losses import MaskedFeatureMimicLoss


def feats(batch=1):
    # (B, C=2, H=1, W=2); differences: channel 0 [1, 1], channel 1 [3, 4]
    s = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]]).repeat(batch, 1, 1, 1)
    t = torch.tensor([[[[0.0, 1.0]], [[0.0, 0.0]]]]).repeat(batch, 1, 1, 1)
    return s, t


@pytest.mark.parametrize('kwargs,expected', [
    (dict(), (1 + 1 + 9 + 16) / 4),  # CMKD: mean over all elements
    (dict(loss_weight=32.0), 32 * 27 / 4),
    (dict(half=True), 0.5 * 27 / 4),
    (dict(loss_type='l1'), (1 + 1 + 3 + 4) / 4),
    (dict(loss_type='smooth_l1'), (0.5 + 0.5 + 2.5 + 3.5) / 4),
    (dict(channel_reduce='sum'), ((1 + 9) + (1 + 16)) / 2),
    (dict(normalize='batch'), (1 + 9) / 2 + (1 + 16) / 2),
])
def test_unmasked_reductions(kwargs, expected):
    s, t = feats()
    assert MaskedFeatureMimicLoss(**kwargs)(s, t).item() == pytest.approx(expected)


def test_masked_reductions():
    s, t = feats()
    mask = torch.tensor([[[[1.0, 0.0]]]])
    # per-cell channel means: e = [(1 + 9) / 2, (1 + 16) / 2] = [5, 8.5]
    assert MaskedFeatureMimicLoss(normalize='mask_sum')(s, t, mask).item() == pytest.approx(5.0)
    assert MaskedFeatureMimicLoss(normalize='numel')(s, t, mask).item() == pytest.approx(5 / 2)
    s2, t2 = feats(batch=2)
    mask2 = torch.tensor([[[[1.0, 0.0]]], [[[1.0, 1.0]]]])
    loss = MaskedFeatureMimicLoss(normalize='mask_sum_and_batch', half=True)(s2, t2, mask2)
    assert loss.item() == pytest.approx(0.5 * (5 + 5 + 8.5) / (3 * 2))
    # teacher vector at cell 0 is all zero -> weight [0, 1]
    nz = MaskedFeatureMimicLoss(normalize='mask_sum', nonzero_teacher=True)(s, t)
    assert nz.item() == pytest.approx(8.5)
    bg = MaskedFeatureMimicLoss(normalize='mask_sum', nonzero_teacher=True, bg_weight=0.05)(s, t)
    assert bg.item() == pytest.approx((0.05 * 5 + 1 * 8.5) / 1.05)
    # empty mask (no boxes): finite zero
    empty = MaskedFeatureMimicLoss(normalize='mask_sum_and_batch')(s, t, torch.zeros(1, 1, 1, 2))
    assert empty.item() == 0.0


def test_levels_are_summed_and_shapes_checked():
    s, t = feats()
    loss = MaskedFeatureMimicLoss()([s, 2 * s], [t, 2 * t])
    assert loss.item() == pytest.approx(27 / 4 + 4 * 27 / 4)
    with pytest.raises(ValueError, match='adapter'):
        MaskedFeatureMimicLoss()(s, t[:, :1])
    with pytest.raises(ValueError, match='mask'):
        MaskedFeatureMimicLoss()(s, t, torch.ones(1, 1, 2, 2))


def test_autocast_bf16_and_gradients():
    s, t = feats()
    ref = MaskedFeatureMimicLoss()(s, t)
    sb = s.bfloat16().requires_grad_()
    tb = t.bfloat16().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = MaskedFeatureMimicLoss()(sb, tb)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert loss.item() == pytest.approx(ref.item(), rel=1e-2)
    loss.backward()
    assert sb.grad is not None and torch.isfinite(sb.grad).all()
    assert tb.grad is None
