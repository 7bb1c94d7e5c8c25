# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDLE encoding/decoding and loss terms against hand-computed values: multi-bin heading,
depth transform, Laplacian depth loss, dimension-aware L1, focal loss, targets of a known box,
and the decoding of a hand-made heatmap peak to the right camera box."""
import math

import pytest
import torch
from mmdet3d.structures import CameraInstance3DBoxes, points_cam2img
from mmengine.structures import InstanceData

from distillbev.models.dense_heads.monodle_coder import (decode_heading, decode_single,
                                                         depth_from_logit, encode_heading,
                                                         get_targets_single)
from distillbev.models.dense_heads.monodle_losses import (dimension_aware_l1_loss,
                                                          heatmap_focal_loss,
                                                          laplacian_aleatoric_loss,
                                                          multibin_heading_loss)

MEAN = [[0.8, 1.8, 0.6], [1.7, 1.8, 0.6], [3.9, 1.6, 1.6]]
P2 = torch.tensor([[100., 0., 80., 4.], [0., 100., 24., 0.5], [0., 0., 1., 0.01],
                   [0., 0., 0., 1.]])


def test_heading_bins_by_hand():
    a = 2 * math.pi / 12
    bins, res = encode_heading(torch.tensor([0.0, a / 2 - 1e-4, a / 2, math.pi, -a, -math.pi]))
    assert bins.tolist() == [0, 0, 1, 6, 11, 6]
    torch.testing.assert_close(res, torch.tensor([0.0, a / 2 - 1e-4, -a / 2, 0.0, 0.0, 0.0]),
                               atol=1e-5, rtol=0)


def test_heading_round_trip():
    alpha = torch.linspace(-math.pi, math.pi - 1e-3, 721)
    bins, res = encode_heading(alpha, 12)
    assert bins.min() >= 0 and bins.max() <= 11
    assert res.abs().max() <= math.pi / 12 + 1e-5
    torch.testing.assert_close(decode_heading(bins, res, 12), alpha, atol=1e-5, rtol=0)


def test_depth_transform_and_laplacian_loss_by_hand():
    assert float(depth_from_logit(torch.tensor(0.0))) == pytest.approx(1.0, abs=1e-5)
    # logit of 1 / (z + 1) gives back z
    z = torch.tensor([3.0, 40.0])
    torch.testing.assert_close(depth_from_logit(torch.logit(1 / (z + 1))), z, rtol=1e-4,
                               atol=1e-4)
    # sqrt(2) e^-0.5 |10 - 12| + 0.5 = 2.2155; sqrt(2) e^1 |5 - 5| - 1 = -1; mean 0.60776
    loss = laplacian_aleatoric_loss(torch.tensor([10.0, 5.0]), torch.tensor([12.0, 5.0]),
                                    torch.tensor([0.5, -1.0]))
    expect = (math.sqrt(2) * math.exp(-0.5) * 2 + 0.5 - 1.0) / 2
    assert float(loss) == pytest.approx(expect, rel=1e-5)


def test_dimension_aware_l1_value_and_gradient():
    pred = torch.tensor([[4.0, 1.5, 1.6], [1.0, 1.8, 0.5]], requires_grad=True)
    target = torch.tensor([[3.0, 1.5, 1.6], [0.8, 1.8, 0.6]])
    loss = dimension_aware_l1_loss(pred, target)
    # the value is the plain L1 mean: (1 + 0.2 + 0.1) / 6
    assert float(loss.detach()) == pytest.approx(1.3 / 6, rel=1e-5)
    loss.backward()
    g = pred.grad
    # gradients scale with 1 / target side
    assert float(g[0, 0] / g[1, 0]) == pytest.approx(0.8 / 3.0, rel=1e-4)


def test_focal_and_heading_losses_by_hand():
    prob = torch.tensor([0.8, 0.3, 0.1]).reshape(1, 1, 1, 3)
    target = torch.tensor([1.0, 0.5, 0.0]).reshape(1, 1, 1, 3)
    pos = -math.log(0.8) * 0.2 ** 2
    neg = -math.log(0.7) * 0.3 ** 2 * 0.5 ** 4 - math.log(0.9) * 0.1 ** 2
    assert float(heatmap_focal_loss(prob, target)) == pytest.approx(pos + neg, rel=1e-5)
    logits = torch.zeros(1, 12)
    residuals = torch.full((1, 12), 0.1)
    loss = multibin_heading_loss(logits, residuals, torch.tensor([3]), torch.tensor([-0.1]))
    assert float(loss) == pytest.approx(math.log(12) + 0.2, rel=1e-5)


def _instances(box):
    boxes = CameraInstance3DBoxes(torch.tensor([box]))
    c2d = points_cam2img(boxes.gravity_center, P2)
    i3d = InstanceData(bboxes_3d=boxes, labels_3d=torch.tensor([2]), centers_2d=c2d,
                       depths=boxes.gravity_center[:, 2])
    i2d = InstanceData(bboxes=torch.tensor([[60., 10., 100., 40.]]), labels=torch.tensor([2]))
    return boxes, c2d, i3d, i2d


def test_targets_of_a_known_box():
    box = [1.0, 1.5, 10.0, 4.2, 1.5, 1.7, 0.4]  # x, y (bottom), z, l, h, w, yaw
    boxes, c2d, i3d, i2d = _instances(box)
    t = get_targets_single(i3d, i2d, (12, 40), 4, 3, MEAN)
    u, v = c2d[0].tolist()  # (100 * 1 + 80 * 10 + 4) / 10.01, (100 * 0.75 + 240 + 0.5) / 10.01
    assert u == pytest.approx(904 / 10.01, rel=1e-5) and v == pytest.approx(315.5 / 10.01)
    cx, cy = int(u // 4), int(v // 4)
    assert t['mask'][0] and not t['mask'][1:].any() and t['mask_3d'][0]
    assert int(t['indices'][0]) == cy * 40 + cx
    assert float(t['heatmap'][2, cy, cx]) == 1.0 and float(t['heatmap'][:2].sum()) == 0.0
    torch.testing.assert_close(t['offset_3d'][0], torch.tensor([u / 4 - cx, v / 4 - cy]))
    torch.testing.assert_close(t['offset_2d'][0], torch.tensor([20.0 - cx, 6.25 - cy]))
    torch.testing.assert_close(t['size_2d'][0], torch.tensor([10.0, 7.5]))
    assert float(t['depth'][0]) == pytest.approx(10.0)
    torch.testing.assert_close(t['size_3d'][0], torch.tensor([0.3, -0.1, 0.1]))
    bins, res = encode_heading(torch.tensor(0.4 - math.atan2(1.0, 10.0)))
    assert int(t['heading_bin'][0]) == int(bins)
    assert float(t['heading_res'][0]) == pytest.approx(float(res), abs=1e-6)
    # a cropped sample has no 3D-offset target; an object nearer than min_depth is no target
    assert not get_targets_single(i3d, i2d, (12, 40), 4, 3, MEAN, crop=True)['mask_3d'].any()
    assert not get_targets_single(i3d, i2d, (12, 40), 4, 3, MEAN, min_depth=11)['mask'].any()


def test_no_object_targets():
    i3d = InstanceData(bboxes_3d=CameraInstance3DBoxes(torch.zeros(0, 7)),
                       labels_3d=torch.zeros(0, dtype=torch.long), centers_2d=torch.zeros(0, 2))
    t = get_targets_single(i3d, InstanceData(bboxes=torch.zeros(0, 4)), (12, 40), 4, 3, MEAN)
    assert not t['mask'].any() and float(t['heatmap'].sum()) == 0.0


def test_decode_hand_made_peak():
    """One peak (class 2, row 5, col 22) with hand-set regressions -> the expected box."""
    h, w = 12, 40
    preds = dict(heatmap=torch.full((3, h, w), -10.0), offset_2d=torch.zeros(2, h, w),
                 size_2d=torch.zeros(2, h, w), depth=torch.zeros(2, h, w),
                 offset_3d=torch.zeros(2, h, w), size_3d=torch.zeros(3, h, w),
                 heading=torch.zeros(24, h, w))
    preds['heatmap'][2, 5, 22] = 3.0
    preds['heatmap'][2, 5, 21] = 2.0  # a lower neighbour: suppressed by the 3x3 max-pool NMS
    preds['offset_3d'][:, 5, 22] = torch.tensor([0.5, 0.25])
    preds['offset_2d'][:, 5, 22] = torch.tensor([0.5, 0.5])
    preds['size_2d'][:, 5, 22] = torch.tensor([6.0, 4.0])
    z = 20.0
    preds['depth'][0, 5, 22] = math.log(1 / z)  # sigmoid = 1 / (z + 1)
    preds['size_3d'][:, 5, 22] = torch.tensor([0.1, -0.1, 0.0])
    preds['heading'][3, 5, 22] = 5.0  # bin 3 -> alpha = pi / 2 + 0.05
    preds['heading'][12 + 3, 5, 22] = 0.05
    out = decode_single(preds, P2, 4, MEAN, score_thr=0.5)
    assert len(out['bboxes_3d']) == 1 and out['labels_3d'].tolist() == [2]
    assert float(out['scores_3d'][0]) == pytest.approx(1 / (1 + math.exp(-3.0)), rel=1e-5)
    u, v = (22 + 0.5) * 4, (5 + 0.25) * 4
    # invert P2 by hand: u (z + 0.01) = 100 x + 80 z + 4, v (z + 0.01) = 100 y + 24 z + 0.5
    x = (u * (z + 0.01) - 80 * z - 4) / 100
    y = (v * (z + 0.01) - 24 * z - 0.5) / 100
    box = out['bboxes_3d']
    torch.testing.assert_close(box.gravity_center[0], torch.tensor([x, y, z]), atol=1e-3,
                               rtol=1e-4)
    torch.testing.assert_close(box.dims[0], torch.tensor([4.0, 1.5, 1.6]), atol=1e-5, rtol=0)
    yaw = math.pi / 2 + 0.05 + math.atan2(x, z)
    yaw = (yaw + math.pi) % (2 * math.pi) - math.pi
    assert float(box.yaw[0]) == pytest.approx(yaw, abs=1e-5)
    # 2D box: centre (22.5, 5.5) * 4, size (6, 4) * 4
    torch.testing.assert_close(out['bboxes'][0], torch.tensor([78.0, 14.0, 102.0, 30.0]))


def test_encode_decode_round_trip():
    """Maps written from a box's targets decode back to the box."""
    box = [-2.0, 1.6, 25.0, 3.8, 1.55, 1.65, -2.5]
    boxes, _, i3d, i2d = _instances(box)
    t = get_targets_single(i3d, i2d, (12, 40), 4, 3, MEAN)
    h, w = 12, 40
    idx = int(t['indices'][0])
    cy, cx = idx // w, idx % w
    preds = {k: torch.zeros(c, h, w) for k, c in dict(
        heatmap=3, offset_2d=2, size_2d=2, depth=2, offset_3d=2, size_3d=3, heading=24).items()}
    preds['heatmap'] -= 10
    preds['heatmap'][2, cy, cx] = 5.0
    for key in ('offset_2d', 'size_2d', 'offset_3d', 'size_3d'):
        preds[key][:, cy, cx] = t[key][0]
    preds['depth'][0, cy, cx] = torch.logit(1 / (t['depth'][0] + 1))
    preds['heading'][int(t['heading_bin'][0]), cy, cx] = 5.0
    preds['heading'][12 + int(t['heading_bin'][0]), cy, cx] = t['heading_res'][0]
    out = decode_single(preds, P2, 4, MEAN)
    torch.testing.assert_close(out['bboxes_3d'].tensor, boxes.tensor, atol=2e-3, rtol=1e-4)
