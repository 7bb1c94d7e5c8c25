# Copyright (c) distillbev contributors. All rights reserved.
"""AnchorResponseLoss (CMKD, KITTI anchor head) against hand-computed values."""
import math

import pytest
import torch

from distillbev.models.losses import AnchorResponseLoss


def logit(p):
    return math.log(p / (1 - p))


def sig(x):
    return 1 / (1 + math.exp(-x))


def qfl(s, p):
    q = sig(s)
    return -(p * math.log(q) + (1 - p) * math.log(1 - q)) * abs(q - p) ** 2


def smooth_l1(d, beta=1 / 9):
    d = abs(d)
    return 0.5 * d * d / beta if d < beta else d - 0.5 * beta


def _maps(per_anchor, width):
    """[[values of anchor 0], [anchor 1]] -> a (1, 2 * width, 1, 1) head map (anchor-major)."""
    return [torch.tensor([v for a in per_anchor for v in a]).reshape(1, 2 * width, 1, 1)]


def test_hand_values_two_anchors_two_classes():
    t_p = [[0.8, 0.05], [0.2, 0.02]]
    s_cls = [[0.0, -1.0], [1.0, 0.5]]
    t_box = [[0, 0, 0, 0, 0, 0, 0.3], [0, 0, 0, 0, 0, 0, 0.0]]
    s_box = [[0.05, 0.5, 0, 0, 0, 0, 0.3], [0, 0, 0, 0, 0, -0.2, 1.0]]
    t_dir, s_dir = [[1.0, 0.0], [-1.0, 2.0]], [[0.0, 0.0], [1.0, 0.0]]
    teacher = (_maps([[logit(p) for p in a] for a in t_p], 2), _maps(t_box, 7), _maps(t_dir, 2))
    student = (_maps(s_cls, 2), _maps(s_box, 7), _maps(s_dir, 2))
    out = AnchorResponseLoss(num_classes=2)(student, teacher)
    # classification: class 0 has 2 teacher positives (0.8, 0.2 > 0.1), class 1 none (clamped 1)
    cls = (qfl(0.0, 0.8) + qfl(1.0, 0.2)) / 2 + (qfl(-1.0, 0.05) + qfl(0.5, 0.02)) / 1
    assert out['loss_cls'].item() == pytest.approx(2.0 * cls, rel=1e-5)
    # both anchors positive (confidence 0.85, 0.22 > 0.1): weights 0.85 / 2, 0.22 / 2
    w0, w1 = 0.85 / 2, 0.22 / 2
    rot1 = math.sin(1.0) * math.cos(0.0) - math.cos(1.0) * math.sin(0.0)  # sin-difference
    loc = w0 * (smooth_l1(0.05) + smooth_l1(0.5) + smooth_l1(0.0)) + \
        w1 * (smooth_l1(0.2) + smooth_l1(rot1))
    assert out['loss_loc'].item() == pytest.approx(2.0 * loc, rel=1e-5)
    ce0, ce1 = math.log(2.0), math.log(1 + math.e)  # teacher directions 0 and 1
    assert out['loss_dir'].item() == pytest.approx(0.4 * (w0 * ce0 + w1 * ce1), rel=1e-5)


def test_code_weights_drop_lateral_and_heading_residuals():
    """The kitti_bev ``cmkd_tuned_along`` row: code weights (1, 0, 1, 1, 1, 1, 0) and no direction
    KD. The same two anchors as above: only x, z, w, l, h residuals count, and a student that
    differs from the teacher in y and yaw alone gets no box or direction gradient."""
    t_p = [[0.8, 0.05], [0.2, 0.02]]
    t_box = [[0, 0, 0, 0, 0, 0, 0.3], [0, 0, 0, 0, 0, 0, 0.0]]
    s_box = [[0.05, 0.5, 0, 0, 0, 0, 0.3], [0, 0, 0, 0, 0, -0.2, 1.0]]
    t_dir, s_dir = [[1.0, 0.0], [-1.0, 2.0]], [[0.0, 0.0], [1.0, 0.0]]
    teacher = (_maps([[logit(p) for p in a] for a in t_p], 2), _maps(t_box, 7), _maps(t_dir, 2))
    student = (_maps([[0.0, -1.0], [1.0, 0.5]], 2), _maps(s_box, 7), _maps(s_dir, 2))
    loss = AnchorResponseLoss(num_classes=2, dir_weight=0.0,
                              code_weights=[1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    out = loss(student, teacher)
    w0, w1 = 0.85 / 2, 0.22 / 2  # x of anchor 0 (0.05) and h of anchor 1 (-0.2) remain
    assert out['loss_loc'].item() == pytest.approx(2.0 * (w0 * smooth_l1(0.05) +
                                                          w1 * smooth_l1(0.2)), rel=1e-5)
    assert out['loss_dir'].item() == 0.0
    # only y and yaw differ from the teacher: zero box loss, zero gradient into the box map
    s_box_lat = [[0, 0.5, 0, 0, 0, 0, 1.3], [0, -0.4, 0, 0, 0, 0, 2.0]]
    box = _maps(s_box_lat, 7)[0].requires_grad_()
    dirs = _maps(s_dir, 2)[0].requires_grad_()
    out = loss((student[0], [box], [dirs]), teacher)
    assert out['loss_loc'].item() == 0.0
    (out['loss_loc'] + out['loss_dir']).backward()
    assert box.grad.abs().sum().item() == 0.0 and dirs.grad.abs().sum().item() == 0.0


def test_no_confident_teacher_anchor_and_gradients():
    torch.manual_seed(0)
    teacher = ([torch.full((2, 6, 3, 3), -8.0)], [torch.randn(2, 14, 3, 3)],
               [torch.randn(2, 4, 3, 3)])
    s = [torch.randn(2, 6, 3, 3, requires_grad=True), torch.randn(2, 14, 3, 3, requires_grad=True),
         torch.randn(2, 4, 3, 3, requires_grad=True)]
    out = AnchorResponseLoss(num_classes=3)(([s[0]], [s[1]], [s[2]]), teacher)
    # no positive anchor: box and direction terms vanish; classification still pushes scores down
    assert out['loss_loc'].item() == 0.0 and out['loss_dir'].item() == 0.0
    assert out['loss_cls'].item() > 0
    sum(out.values()).backward()
    assert s[0].grad.abs().sum() > 0


def test_mismatched_anchors_are_refused():
    a = ([torch.zeros(1, 6, 2, 2)], [torch.zeros(1, 14, 2, 2)], [torch.zeros(1, 4, 2, 2)])
    b = ([torch.zeros(1, 6, 4, 4)], [torch.zeros(1, 14, 4, 4)], [torch.zeros(1, 4, 4, 4)])
    with pytest.raises(ValueError, match='same anchors'):
        AnchorResponseLoss()(a, b)
    with pytest.raises(ValueError, match='code_weights'):
        AnchorResponseLoss(code_weights=[1.0] * 5)


@pytest.mark.parametrize('num_classes', [1, 3])
def test_num_classes_read_from_the_maps(num_classes):
    """num_classes=None: A = 14 / 7 = 2 anchors per cell, K = cls channels / 2."""
    torch.manual_seed(1)
    maps = [([torch.randn(2, 2 * num_classes, 3, 3)], [torch.randn(2, 14, 3, 3)],
             [torch.randn(2, 4, 3, 3)]) for _ in range(2)]
    given = AnchorResponseLoss(num_classes=num_classes)(*maps)
    read = AnchorResponseLoss(num_classes=None)(*maps)
    for key in given:
        assert read[key].item() == given[key].item()
