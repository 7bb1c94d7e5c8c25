# Copyright (c) distillbev contributors. All rights reserved.
import pytest
import torch

from distillbev.models.losses import KeypointRelationLoss


def case():
    # 4 x 4 map, 2 channels. Student: (1, 0) everywhere. Teacher: (1, 0) in columns 0-1,
    # (0, 1) in columns 2-3. Keypoints: centres of rows 0-2 x columns 0-2 (6 in cols < 2).
    s = torch.zeros(1, 2, 4, 4)
    s[:, 0] = 1.0
    t = torch.zeros(1, 2, 4, 4)
    t[:, 0, :, :2] = 3.0  # norm does not matter after L2 normalisation
    t[:, 1, :, 2:] = 0.5
    pts = [[(c + 0.5) / 2 - 1, (r + 0.5) / 2 - 1] for r in range(3) for c in range(3)]
    kp = torch.tensor(pts)[None, None]  # (1, 1, 9, 2)
    return s, t, kp


def test_relation_by_hand():
    s, t, kp = case()
    # R_s = all ones; R_t[k, k'] = 1 iff same side. Different-side pairs: 2 * 6 * 3 = 36 of 81
    loss = KeypointRelationLoss()(s, t, kp, torch.tensor([[True]]))
    assert loss.item() == pytest.approx(40 * 36 / 81, rel=1e-5)
    # a zero student feature normalises to zero (eps): |0 - R_t| sums the 6*6 + 3*3 ones
    zero = KeypointRelationLoss(loss_weight=1.0)(torch.zeros_like(s), t, kp)
    assert zero.item() == pytest.approx(45 / 81, rel=1e-5)
    mse = KeypointRelationLoss(criterion='mse', loss_weight=1.0)(s, t, kp)
    assert mse.item() == pytest.approx(36 / 81, rel=1e-5)


def test_normaliser_counts_valid_boxes_only():
    s, t, kp = case()
    kp2 = torch.cat([kp, kp], dim=1)  # two boxes, the second invalid (padding)
    loss = KeypointRelationLoss(loss_weight=1.0)(s, t, kp2, torch.tensor([[True, False]]))
    assert loss.item() == pytest.approx(36 / 81, rel=1e-5)
    none = KeypointRelationLoss()(s, t, kp2, torch.tensor([[False, False]]))
    assert none.item() == 0.0
    empty = KeypointRelationLoss()(s, t, kp[:, :0], torch.zeros(1, 0).bool())
    assert empty.item() == 0.0


def test_autocast_bf16_and_gradients():
    s, t, kp = case()
    s = s + 0.1 * torch.arange(16.0).reshape(1, 1, 4, 4)
    ref = KeypointRelationLoss()(s, t, kp)
    sb, tb = s.bfloat16().requires_grad_(), t.bfloat16().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = KeypointRelationLoss()(sb, tb, kp.bfloat16())
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert loss.item() == pytest.approx(ref.item(), rel=2e-2)
    loss.backward()
    assert sb.grad is not None and sb.grad.abs().sum() > 0 and tb.grad is None
