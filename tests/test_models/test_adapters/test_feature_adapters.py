# Copyright (c) distillbev contributors. All rights reserved.
"""Student -> teacher adapters: registry, shapes and hand-computed values."""
import pytest
import torch

import distillbev  # noqa: F401
from mmdet3d.registry import MODELS


def test_registered_and_identity():
    for name in ('IdentityAdapter', 'Conv1x1Adapter', 'ConvReLUConvAdapter', 'UpsampleMLPAdapter'):
        assert MODELS.get(name) is not None
    x = torch.randn(2, 3, 4, 5)
    assert MODELS.build(dict(type='IdentityAdapter'))(x) is x


def test_conv1x1_values():
    a = MODELS.build(dict(type='Conv1x1Adapter', in_channels=2, out_channels=1))
    with torch.no_grad():
        a.conv.weight.copy_(torch.tensor([2.0, -1.0]).view(1, 2, 1, 1))
        a.conv.bias.fill_(0.5)
    x = torch.tensor([[[[1.0, 2.0]], [[3.0, 5.0]]]])  # (1, 2, 1, 2)
    # 2*1 - 3 + 0.5 = -0.5 ; 2*2 - 5 + 0.5 = -0.5
    assert torch.allclose(a(x), torch.tensor([[[[-0.5, -0.5]]]]))


def test_conv_relu_conv_values():
    a = MODELS.build(dict(type='ConvReLUConvAdapter', in_channels=1, out_channels=1))
    with torch.no_grad():
        a.conv1.weight.zero_()
        a.conv1.weight[0, 0, 1, 1] = 1.0  # centre tap: identity 3x3
        a.conv1.bias.zero_()
        a.conv2.weight.fill_(3.0)
        a.conv2.bias.fill_(1.0)
    x = torch.tensor([[[[-2.0, 4.0]]]])
    assert torch.allclose(a(x), torch.tensor([[[[1.0, 13.0]]]]))  # 3 * relu(x) + 1


def test_upsample_mlp_shapes_and_values():
    a = MODELS.build(dict(type='UpsampleMLPAdapter', in_channels=4, out_channels=2,
                          scale_factor=4, num_layers=3, mid_channels=[8, 6]))
    a.eval()
    out = a(torch.randn(2, 4, 3, 5))
    assert out.shape == (2, 2, 12, 20) and (out >= 0).all()  # last ReLU (DistillBEV)
    b = MODELS.build(dict(type='UpsampleMLPAdapter', in_channels=1, out_channels=1,
                          scale_factor=2, num_layers=1, norm_cfg=None, last_act=False))
    with torch.no_grad():
        b.mlp[0].weight.fill_(1.0)
        b.mlp[0].bias.zero_()
    x = torch.tensor([[[[1.0, 3.0]]]])
    # bilinear x2, align_corners=False: [1, 1.5, 2.5, 3] per row
    assert torch.allclose(b(x)[0, 0, 0], torch.tensor([1.0, 1.5, 2.5, 3.0]))
    with pytest.raises(ValueError, match='mid_channels'):
        MODELS.build(dict(type='UpsampleMLPAdapter', in_channels=1, out_channels=1,
                          num_layers=3, mid_channels=[2]))
