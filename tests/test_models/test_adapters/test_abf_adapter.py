# Copyright (c) distillbev contributors. All rights reserved.
"""ABFAdapter (ReviewKD fusion, MonoDistill's student connector): level selection, shapes, the
attention mix on a hand-set case, and that every fused level reaches the shallower ones."""
import torch

from distillbev.models.adapters import ABFAdapter


def _dla_levels(b=1, h=32, w=64):
    chans = (16, 32, 64, 128, 256, 512)
    return tuple(torch.randn(b, c, h // 2 ** i, w // 2 ** i) for i, c in enumerate(chans))


def test_levels_and_shapes():
    torch.manual_seed(0)
    ada = ABFAdapter(in_channels=[64, 128, 256, 512], mid_channels=32,
                     in_indices=(2, 3, 4, 5), out_indices=(1, 2, 3))
    feats = _dla_levels()
    outs = ada(feats)
    assert [tuple(o.shape) for o in outs] == [(1, 128, 4, 8), (1, 256, 2, 4), (1, 512, 1, 2)]
    assert ada.blocks[-1].att is None and all(b.att is not None for b in ada.blocks[:-1])
    # the deepest level reaches every shallower output through the attention residual
    deep = feats[5].clone().requires_grad_(True)
    outs = ada(feats[:5] + (deep,))
    outs[0].sum().backward()
    assert deep.grad is not None and float(deep.grad.abs().sum()) > 0


def test_attention_mix_by_hand():
    ada = ABFAdapter(in_channels=[1, 1], mid_channels=1, post_adapter=False).eval()
    for blk in ada.blocks:  # identity reduce/expand (BN in eval with default stats ~ identity)
        torch.nn.init.ones_(blk.reduce[0].weight)
        torch.nn.init.zeros_(blk.expand[0].weight)
        blk.expand[0].weight.data[0, 0, 1, 1] = 1.0
    att = ada.blocks[0].att[0]
    torch.nn.init.zeros_(att.weight)
    att.bias.data = torch.tensor([0.0, 100.0])  # a_0 = 0.5, a_1 = 1
    shallow = torch.full((1, 1, 2, 2), 2.0)
    deep = torch.full((1, 1, 1, 1), 4.0)
    out = ada([shallow, deep])
    eps = 1 + 1e-5  # BatchNorm's eps, twice
    torch.testing.assert_close(out[1], deep / eps, rtol=1e-4, atol=1e-4)
    expect = (shallow / eps ** 0.5 * 0.5 + deep / eps ** 0.5 * 1.0) / eps ** 0.5
    torch.testing.assert_close(out[0], expect.expand(1, 1, 2, 2), rtol=1e-4, atol=1e-4)
