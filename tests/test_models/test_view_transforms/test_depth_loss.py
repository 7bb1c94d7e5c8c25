# Copyright (c) distillbev contributors. All rights reserved.
import math

import torch

from distillbev.models.view_transforms import (depth_bce_loss, depth_to_onehot,
                                               downsample_gt_depth)


def test_downsample_min_positive():
    gt = torch.tensor([[[0.0, 5.0, 0.0, 0.0],
                        [3.0, 0.0, 0.0, 0.0],
                        [7.0, 9.0, 0.0, 2.5],
                        [8.0, 7.5, 4.0, 0.0]]])
    out = downsample_gt_depth(gt, (2, 2), (2, 2))
    assert out.tolist() == [[[3.0, 0.0], [7.0, 2.5]]]
    # a (padded) feature map larger than the depth image: zero padded
    out = downsample_gt_depth(gt[:, :3, :], (2, 2), (2, 2))
    assert out.tolist() == [[[3.0, 0.0], [7.0, 2.5]]]


def test_onehot_binning():
    # [1, 5, 1]: bins [1,2) [2,3) [3,4) [4,5)
    depth = torch.tensor([3.0, 4.99, 5.0, 0.5, 1.0, 0.0])
    onehot, valid = depth_to_onehot(depth, [1, 5, 1])
    assert valid.tolist() == [True, True, False, False, True, False]
    assert onehot.argmax(-1)[valid].tolist() == [2, 3, 0]
    assert onehot[~valid].sum() == 0
    assert onehot.sum(-1)[valid].tolist() == [1.0, 1.0, 1.0]
    onehot, valid = depth_to_onehot(torch.tensor([2.0, 2.49, 2.5, 57.9, 58.0]), [2, 58, 0.5])
    assert onehot.shape[-1] == 112
    assert onehot.argmax(-1)[valid].tolist() == [0, 0, 1, 111]
    assert valid.tolist() == [True, True, True, True, False]


def test_bce_by_hand():
    # one view, 1x2 feature map at stride 2, 3 bins over [1, 4, 1]
    gt = torch.tensor([[[0.0, 2.5, 0.0, 0.0],
                        [1.2, 0.0, 0.0, 0.0]]])  # patch 0 -> 1.2 (bin 0); patch 1 empty
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]]).t().reshape(1, 3, 1, 2)
    loss = depth_bce_loss(probs, gt, [1, 4, 1], (2, 2), loss_weight=3.0)
    expected = -(math.log(0.7) + math.log(0.8) + math.log(0.9))  # only pixel 0, target bin 0
    assert abs(loss.item() - 3.0 * expected) < 1e-5
    # two supervised pixels: mean over pixels of the bin-summed BCE
    gt2 = torch.tensor([[[0.0, 2.5, 3.9, 0.0],
                         [1.2, 0.0, 0.0, 0.0]]])  # pixel 1 -> 3.9 (bin 2)
    loss2 = depth_bce_loss(probs, gt2, [1, 4, 1], (2, 2), loss_weight=1.0)
    second = -(math.log(0.7) + math.log(0.7) + math.log(0.4))
    assert abs(loss2.item() - (expected + second) / 2) < 1e-5


def test_bce_no_target_is_zero_and_differentiable():
    probs = torch.full((2, 3, 1, 2), 1 / 3, requires_grad=True)
    loss = depth_bce_loss(probs, torch.zeros(2, 2, 4), [1, 4, 1], (2, 2))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(probs.grad).all()
