# Copyright (c) distillbev contributors. All rights reserved.
"""The head-output math shared by the KD targets and losses, checked by hand."""
import math

import pytest
import torch

from distillbev.models.utils.head_outputs import (max_class_prob, task_dicts, task_heatmaps,
                                                  teacher_confidence)


def sig(x):
    return 1 / (1 + math.exp(-x))


def test_task_dicts_accepts_centerhead_outputs():
    hm = torch.zeros(1, 2, 1, 1)
    assert task_dicts(hm)[0]['heatmap'] is hm
    assert task_dicts(([dict(heatmap=hm)], [dict(heatmap=hm)]))[1]['heatmap'] is hm
    with pytest.raises(ValueError, match='several feature levels'):
        task_dicts([[dict(heatmap=hm), dict(heatmap=hm)]])
    with pytest.raises(KeyError, match='heatmap'):
        task_heatmaps([dict(reg=hm)])


def test_max_class_prob_over_all_tasks():
    a = torch.tensor([0.0, -1.0]).view(1, 2, 1, 1)
    b = torch.tensor([2.0]).view(1, 1, 1, 1)
    assert max_class_prob([a, b]).item() == pytest.approx(sig(2.0))
    assert max_class_prob([a, b], temperature=2.0).item() == pytest.approx(sig(1.0))
    # clip-sigmoid clamps at 1e-4; probabilities are only clamped
    assert max_class_prob(torch.full((1, 1, 1, 1), -20.0)).item() == pytest.approx(1e-4)
    assert max_class_prob(torch.full((1, 1, 1, 1), 0.3), is_prob=True).item() == \
        pytest.approx(0.3)


def test_teacher_confidence_reductions():
    hm = torch.tensor([0.0, -1.0]).view(1, 2, 1, 1)
    assert teacher_confidence(hm)[0].item() == pytest.approx(0.5 + sig(-1.0))
    assert teacher_confidence(hm, reduce='max')[0].item() == pytest.approx(0.5)
    assert teacher_confidence(hm, thr=None, reduce='sigmoid_sum_logits')[0].item() == \
        pytest.approx(sig(-1.0))
    assert teacher_confidence(hm, thr=0.3, reduce='sigmoid_sum_logits')[0].item() == 0.0
    with pytest.raises(ValueError, match='needs teacher logits'):
        teacher_confidence(hm, reduce='sigmoid_sum_logits', teacher_is_prob=True)
    with pytest.raises(ValueError, match='reduce must be one of'):
        teacher_confidence(hm, reduce='mean')
