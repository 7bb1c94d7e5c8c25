# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's set-prediction head: Hungarian matching and the focal / L1 losses on a hand
example (2 GT boxes, 3 queries), and the NMS-free box coder's encode -> decode round trip."""
import math

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

pytest.importorskip('mmcv.ops')

from mmdet3d.registry import MODELS  # noqa: E402
from mmdet3d.structures import LiDARInstance3DBoxes  # noqa: E402

from distillbev.models.students.bevformer import NMSFreeBBox3DCoder  # noqa: E402

GT = [[10.0, 0.0, -1.0, 4.0, 2.0, 2.0, 0.0, 1.0, 0.0],  # label 0
      [-5.0, 5.0, 0.0, 1.0, 1.0, 1.0, math.pi / 2, 0.0, 0.0]]  # label 1


def _head():
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        return MODELS.build(dict(
            type='BEVFormerHead', num_classes=2, in_channels=8, num_query=3,
            decoder=dict(num_layers=1, layer_cfg=dict(num_heads=2, feedforward_channels=16))))


def test_hungarian_matching_and_losses_by_hand():
    head = _head()
    gt = InstanceData(bboxes_3d=LiDARInstance3DBoxes(torch.tensor(GT), box_dim=9),
                      labels_3d=torch.tensor([0, 1]))
    norm = head.bbox_coder.encode(gt.bboxes_3d)
    # normalised: (cx, cy, log dx, log dy, gravity cz, log dz, sin, cos, vx, vy)
    assert norm[0].tolist() == pytest.approx(
        [10, 0, math.log(4), math.log(2), 0.0, math.log(2), 0, 1, 1, 0], abs=1e-6)
    assert norm[1].tolist() == pytest.approx([-5, 5, 0, 0, 0.5, 0, 1, 0, 0, 0], abs=1e-6)
    preds = torch.stack([
        norm[1] + torch.tensor([0.1] + [0.0] * 9),  # query 0: GT 1, cx off by 0.1
        torch.full((10, ), 30.0),  # query 1: far from both
        norm[0] + torch.tensor([0.2] + [0.0] * 7 + [0.5, 0.0]),  # query 2: GT 0, cx +0.2, vx +0.5
    ])[None]
    logits = torch.zeros(1, 3, 2)  # equal class costs: the box cost decides
    labels, targets, weights, num_pos = head._targets_single(logits[0], preds[0], gt)
    assert labels.tolist() == [1, 2, 0]  # 2 = background (num_classes)
    assert num_pos == 2 and weights.sum() == 20
    assert torch.allclose(targets[0], norm[1]) and torch.allclose(targets[2], norm[0])
    loss_cls, loss_bbox = head.loss_by_layer(logits, preds, [gt])
    # L1: code weights 1 (x8), 0.2 (velocity): (0.1 + 0.2 + 0.2 * 0.5) / 2 positives * 0.25
    assert loss_bbox.item() == pytest.approx(0.25 * (0.1 + 0.2 + 0.1) / 2, abs=1e-6)
    # focal at p = 0.5 (alpha 0.25, gamma 2): positive entries 0.25 * 0.25 * ln 2, negative
    # 0.75 * 0.25 * ln 2; 2 positive + 4 negative entries / 2 positives * weight 2.0
    focal = (2 * 0.25 * 0.25 + 4 * 0.75 * 0.25) * math.log(2) / 2 * 2.0
    assert loss_cls.item() == pytest.approx(focal, abs=1e-5)


def test_no_boxes_gives_finite_losses():
    head = _head()
    gt = InstanceData(bboxes_3d=LiDARInstance3DBoxes(torch.zeros(0, 9), box_dim=9),
                      labels_3d=torch.zeros(0, dtype=torch.long))
    loss_cls, loss_bbox = head.loss_by_layer(torch.zeros(1, 3, 2), torch.zeros(1, 3, 10), [gt])
    assert torch.isfinite(loss_cls) and loss_bbox.item() == 0.0


def test_nms_free_coder_round_trip():
    box = torch.tensor([[12.0, -3.0, -1.5, 4.5, 1.9, 1.6, 0.7, 2.0, -0.5]])
    coder = NMSFreeBBox3DCoder(post_center_range=[-61.2, -61.2, -10, 61.2, 61.2, 10],
                               max_num=1, num_classes=10)
    code = coder.encode(LiDARInstance3DBoxes(box, box_dim=9))
    assert code[0].tolist() == pytest.approx(
        [12.0, -3.0, math.log(4.5), math.log(1.9), -1.5 + 0.8, math.log(1.6), math.sin(0.7),
         math.cos(0.7), 2.0, -0.5], abs=1e-6)
    logits = torch.full((4, 10), -5.0)
    logits[2, 3] = 5.0  # query 2, class 3
    bbox_preds = torch.zeros(4, 10)
    bbox_preds[2] = code[0]
    out = coder.decode(logits, bbox_preds)
    assert out['bboxes'].tolist() == [pytest.approx(box[0].tolist(), abs=1e-5)]
    assert out['labels'].tolist() == [3]
    assert out['scores'].item() == pytest.approx(1 / (1 + math.exp(-5.0)))
    # outside the post-centre range: dropped
    far = bbox_preds.clone()
    far[2, 0] = 70.0
    assert coder.decode(logits, far)['bboxes'].shape == (0, 9)
