# Copyright (c) distillbev contributors. All rights reserved.
"""AffinityDistillLoss (MonoDistill scene level) against hand-computed affinities."""
import pytest
import torch

from distillbev.models.losses import AffinityDistillLoss


def _hand_affinity(f, cosine=False):
    """(C, H, W) -> N x N list of lists by explicit loops."""
    c, h, w = f.shape
    cells = [[f[k, i // w, i % w].item() for k in range(c)] for i in range(h * w)]
    out = []
    for a in cells:
        row = []
        for b in cells:
            dot = sum(x * y for x, y in zip(a, b))
            if cosine:
                norm_a = max(sum(x * x for x in a) ** 0.5, 1e-6)
                norm_b = max(sum(y * y for y in b) ** 0.5, 1e-6)
                dot /= norm_a * norm_b
            row.append(dot)
        out.append(row)
    return torch.tensor(out, dtype=torch.float64)


def test_single_level_dot_product_and_cosine():
    s = torch.tensor([[[[1., 2.], [0., -1.]], [[0., 1.], [3., 1.]]]])  # (1, 2, 2, 2)
    t = torch.tensor([[[[2., 0.], [1., 1.]], [[1., 1.], [0., 2.]]]])
    err = (_hand_affinity(s[0]) - _hand_affinity(t[0])).abs().mean()
    loss = AffinityDistillLoss(loss_weight=2.0)(s, t)
    assert loss.item() == pytest.approx(2.0 * err.item() / 1)  # B = 1: / B changes nothing
    err_cos = (_hand_affinity(s[0], True) - _hand_affinity(t[0], True)).abs().mean()
    assert AffinityDistillLoss(normalize=True)(s, t).item() == pytest.approx(err_cos.item())
    mse = ((_hand_affinity(s[0]) - _hand_affinity(t[0])) ** 2).mean()
    assert AffinityDistillLoss(criterion='mse')(s, t).item() == pytest.approx(mse.item())


def test_batch_division_levels_resized_to_the_smallest_and_channels_may_differ():
    torch.manual_seed(0)
    s2, t2 = torch.randn(2, 3, 2, 2), torch.randn(2, 5, 2, 2)  # 3 vs 5 channels
    s4 = torch.randn(2, 3, 4, 4)
    t4 = torch.randn(2, 5, 4, 4)

    # bilinear 4x4 -> 2x2 (align_corners=False) averages each 2x2 block
    def pool(x):
        return x.reshape(x.shape[0], x.shape[1], 2, 2, 2, 2).mean(dim=(3, 5))
    expected = 0.0
    for s, t in ((s2, t2), (pool(s4), pool(t4))):
        per_sample = [(_hand_affinity(s[b]) - _hand_affinity(t[b])).abs().mean() for b in (0, 1)]
        expected += sum(per_sample).item() / 2 / 2  # mean over (B, N, N), then / B (the code)
    loss = AffinityDistillLoss()([s2, s4], [t2, t4])
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    no_div = AffinityDistillLoss(batch_divide=False)([s2, s4], [t2, t4])
    assert no_div.item() == pytest.approx(2 * expected, rel=1e-5)
    # only the student receives a gradient
    s = s2.clone().requires_grad_()
    t = t2.clone().requires_grad_()
    AffinityDistillLoss()(s, t).backward()
    assert s.grad.abs().sum() > 0 and t.grad is None


def test_bad_arguments():
    with pytest.raises(ValueError, match='criterion'):
        AffinityDistillLoss(criterion='kl')
    with pytest.raises(ValueError, match='resize_to'):
        AffinityDistillLoss(resize_to='largest')
    with pytest.raises(ValueError, match='2 student levels vs 1'):
        AffinityDistillLoss()([torch.zeros(1, 1, 2, 2)] * 2, [torch.zeros(1, 1, 2, 2)])
