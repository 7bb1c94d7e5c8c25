# Copyright (c) distillbev contributors. All rights reserved.
import pytest
import torch

from distillbev.models.losses import KeypointFeatureLoss


def centre_grid(cells, num=4):
    """Normalised (x, y) grid_sample coords of the centres of (row, col) cells on num x num."""
    return torch.tensor([[(c + 0.5) * 2 / num - 1, (r + 0.5) * 2 / num - 1] for r, c in cells])


def case():
    # student: channel 0 = column index, channel 1 = 2 * row index; teacher zero
    cols = torch.arange(4.0).expand(4, 4)
    rows = torch.arange(4.0)[:, None].expand(4, 4)
    s = torch.stack([cols, 2 * rows])[None].repeat(2, 1, 1, 1)  # (2, 2, 4, 4)
    t = torch.zeros_like(s)
    box_a = centre_grid([(r, c) for r in range(3) for c in range(3)])  # 9 points
    box_b = centre_grid([(3, 3)] * 9)
    pad = centre_grid([(0, 3)] * 9)
    kp = torch.stack([torch.stack([box_a, pad]), torch.stack([box_b, pad])])  # (2, 2, 9, 2)
    valid = torch.tensor([[True, False], [True, False]])
    # per point mean over channels |c + 2 r| / 2; box a: mean over 3 x 3 cells = 1.5; box b 4.5
    per_box = [sum((c + 2 * r) / 2 for r in range(3) for c in range(3)) / 9, (3 + 6) / 2]
    return s, t, kp, valid, per_box


def test_l1_by_hand():
    s, t, kp, valid, per_box = case()
    assert per_box == [1.5, 4.5]
    loss = KeypointFeatureLoss()(s, t, kp, valid)  # weight 100, N = 2 boxes
    assert loss.item() == pytest.approx(100 * (1.5 + 4.5) / 2)
    mse = KeypointFeatureLoss(criterion='mse', loss_weight=1.0)(s, t, kp[:, :1], valid[:, :1])
    box_a = sum((c * c + 4 * r * r) / 2 for r in range(3) for c in range(3)) / 9
    assert mse.item() == pytest.approx((box_a + (9 + 36) / 2) / 2)


def test_bilinear_point_and_layout():
    s, t, _, _, _ = case()
    # (u, v) = (1.0, 0.5): halfway between columns 0 and 1 of row 0 -> channel 0 reads 0.5
    kp = torch.tensor([[1.0 * 2 / 4 - 1, 0.5 * 2 / 4 - 1]]).expand(9, 2)[None, None]
    loss = KeypointFeatureLoss(loss_weight=1.0)(s[:1], t[:1], kp)
    assert loss.item() == pytest.approx((0.5 + 0.0) / 2)
    # an (X, Y)-laid-out map gives the same value with layout='xy'
    swapped = KeypointFeatureLoss(loss_weight=1.0, layout='xy')(
        s[:1].transpose(2, 3), t[:1].transpose(2, 3), kp)
    assert swapped.item() == pytest.approx(loss.item())


def test_no_boxes_is_zero():
    s, t, kp, valid, _ = case()
    assert KeypointFeatureLoss()(s, t, kp, torch.zeros_like(valid)).item() == 0.0
    sr = s.clone().requires_grad_()
    empty = KeypointFeatureLoss()(sr, t, torch.zeros(2, 0, 9, 2), torch.zeros(2, 0).bool())
    assert empty.item() == 0.0
    empty.backward()  # still connected to the graph (DDP friendly)
    assert sr.grad is not None and (sr.grad == 0).all()


def test_autocast_bf16_and_gradients():
    s, t, kp, valid, _ = case()
    t = t + 0.25
    ref = KeypointFeatureLoss()(s, t, kp, valid)
    sb, tb = s.bfloat16().requires_grad_(), t.bfloat16().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = KeypointFeatureLoss()(sb, tb, kp.bfloat16(), valid)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert loss.item() == pytest.approx(ref.item(), rel=1e-2)
    loss.backward()
    assert sb.grad is not None and sb.grad.abs().sum() > 0 and tb.grad is None
