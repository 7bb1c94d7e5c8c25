# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest
import torch

from distillbev.models.kd_targets import TeacherConfidence


def sig(x):
    return 1 / (1 + math.exp(-x))


def test_confidence_by_hand():
    # one task, K = 2 classes, 3 cells
    hm = torch.tensor([[[[0.0, -10.0, 2.0]], [[0.0, -10.0, -10.0]]]])
    w = TeacherConfidence(thr=0.1, reduce='sum')([dict(heatmap=hm)])['weight']
    assert len(w) == 1 and w[0].shape == (1, 1, 1, 3)
    expected = [0.5 + 0.5, 0.0, sig(2.0) + sig(-10.0)]  # 2 * sig(-10) = 9e-5 < 0.1 -> 0
    assert w[0].flatten().tolist() == pytest.approx(expected, abs=1e-6)
    w = TeacherConfidence(thr=0.1, reduce='max')(hm)['weight']
    assert w[0].flatten().tolist() == pytest.approx([0.5, 0.0, sig(2.0)], abs=1e-6)
    w = TeacherConfidence(thr=None, reduce='sigmoid_sum_logits')([hm, hm])['weight']
    assert len(w) == 2
    assert w[1].flatten().tolist() == pytest.approx([0.5, sig(-20.0), sig(-8.0)], abs=1e-7)
    with pytest.raises(ValueError):
        TeacherConfidence(reduce='mean')
