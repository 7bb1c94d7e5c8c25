# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest
import torch

from distillbev.models.losses import HeatmapResponseLoss


def logit(p):
    return math.log(p / (1 - p))


def bce(s, p):
    return -(p * math.log(s) + (1 - p) * math.log(1 - s))


def qfl_case():
    # one task, K = 1, three cells; student probs 0.5, 0.2, ~0; teacher probs 0.8, 0.5, ~0
    s = torch.tensor([[[[0.0, logit(0.2), -20.0]]]])
    t = torch.tensor([[[[logit(0.8), 0.0, -20.0]]]])
    cells = [bce(0.5, 0.8) * 0.3 ** 2, bce(0.2, 0.5) * 0.3 ** 2]  # third cell ~1e-12
    return s, t, cells


def test_qfl_by_hand():
    s, t, cells = qfl_case()
    loss = HeatmapResponseLoss(mode='qfl', beta=2.0, pos_thr=0.3)(
        [dict(heatmap=s)], [dict(heatmap=t)])
    assert loss.item() == pytest.approx(sum(cells) / 2, rel=1e-5)  # #{p > 0.3} = 2
    # a second task with no positive: normaliser clamps to 1, tasks are summed
    s2 = torch.tensor([[[[0.0]]]])
    t2 = torch.tensor([[[[logit(0.2)]]]])
    loss2 = HeatmapResponseLoss(mode='qfl', loss_weight=0.2)(
        [[dict(heatmap=s)], [dict(heatmap=s2)]], [[dict(heatmap=t)], [dict(heatmap=t2)]])
    expected = 0.2 * (sum(cells) / 2 + bce(0.5, 0.2) * 0.3 ** 2 / 1)
    assert loss2.item() == pytest.approx(expected, rel=1e-5)
    # pos_thr 0.5 (CMKD-MV): only p = 0.8 counts
    loss3 = HeatmapResponseLoss(pos_thr=0.5)(s, t)
    assert loss3.item() == pytest.approx(sum(cells) / 1, rel=1e-5)


def test_qfl_temperature_and_probabilities():
    s, t, cells = qfl_case()
    warm = HeatmapResponseLoss(teacher_temperature=2.0)(s, 2 * t)
    assert warm.item() == pytest.approx(sum(cells) / 2, rel=1e-5)
    probs = HeatmapResponseLoss(student_is_prob=True)(torch.sigmoid(s), t)
    assert probs.item() == pytest.approx(sum(cells) / 2, rel=1e-5)


def l1_case():
    # two tasks (2 classes + 1 class), two cells; given as probabilities, turned into logits
    s_p = ([[0.5, 0.1], [0.2, 0.25]], [[0.8, 0.2]])  # task, class, cell
    t_p = ([[0.6, 0.5], [0.3, 0.4]], [[0.5, 0.2]])
    s = [torch.tensor([[[[logit(v) for v in row]] for row in task]]) for task in s_p]
    t = [torch.tensor([[[[2 * logit(v) for v in row]] for row in task]]) for task in t_p]
    # max over all classes: H_s = [0.8, 0.25], H_t = [0.6, 0.5] (teacher at T = 2)
    return s, t, [abs(0.8 - 0.6), abs(0.25 - 0.5)]


def test_l1_max_class_by_hand():
    s, t, err = l1_case()
    g = torch.tensor([[[[1.0, 0.5]]]])
    loss = HeatmapResponseLoss(mode='l1_max_class', teacher_temperature=2.0, mask='gt_gaussian',
                               loss_weight=10.0)(s, t, gt_mask=g)
    assert loss.item() == pytest.approx(10 * (err[0] * 1 + err[1] * 0.5) / 1.5, rel=1e-5)
    plain = HeatmapResponseLoss(mode='l1_max_class', teacher_temperature=2.0)(s, t)
    assert plain.item() == pytest.approx(sum(err) / 2, rel=1e-5)
    # no boxes in view: Gaussian all zero -> 0
    empty = HeatmapResponseLoss(mode='l1_max_class', mask='gt_gaussian')(
        s, t, gt_mask=torch.zeros(1, 1, 1, 2))
    assert empty.item() == 0.0


def test_bad_config_and_inputs():
    with pytest.raises(ValueError):
        HeatmapResponseLoss(mode='qfl', mask='gt_gaussian')
    s, t, _ = l1_case()
    with pytest.raises(ValueError, match='gt_mask'):
        HeatmapResponseLoss(mode='l1_max_class', mask='gt_gaussian')(s, t)


@pytest.mark.parametrize('mode', ['qfl', 'l1_max_class'])
def test_autocast_bf16_and_gradients(mode):
    s, t, _ = l1_case()
    ref = HeatmapResponseLoss(mode=mode)(s, t)
    sb = [x.bfloat16().requires_grad_() for x in s]
    tb = [x.bfloat16().requires_grad_() for x in t]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = HeatmapResponseLoss(mode=mode)([dict(heatmap=x) for x in sb],
                                              [dict(heatmap=x) for x in tb])
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert loss.item() == pytest.approx(ref.item(), rel=5e-2)
    loss.backward()
    assert sb[0].grad is not None and all(x.grad is None for x in tb)
