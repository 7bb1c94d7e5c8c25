# Copyright (c) distillbev contributors. All rights reserved.
"""SCNetBEVNeck (CMKD's "domain adaptation" BEV neck): one bottleneck recomputed by hand from its
own weights, the self-calibration gate reaching the pooled neighbourhood while the plain branch
stays local, the number of blocks built, and the config errors."""
import pytest
import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS

import distillbev  # noqa: F401
from distillbev.models.layers import SCBottleneck, SCNetBEVNeck, SelfCalibratedConv


def _randomise_norms(module, seed=0):
    """Non-trivial BN affine parameters and running statistics (eval mode uses them)."""
    gen = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.2
            m.running_mean = torch.randn(n, generator=gen) * 0.2
            m.running_var = torch.rand(n, generator=gen) + 0.5


def _conv(x, conv):
    return F.conv2d(x, conv.weight, None, padding=conv.padding)


def _bn(x, bn):
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0,
                        bn.eps)


def _block_by_hand(blk, x, r, mode):
    """SCNet bottleneck from its weights, with torch.nn.functional only."""
    a = F.relu(_bn(_conv(x, blk.conv1_a), blk.norm1_a))
    a = F.relu(_bn(_conv(a, blk.k1[0]), blk.k1[1]))
    b = F.relu(_bn(_conv(x, blk.conv1_b), blk.norm1_b))
    sc = blk.scconv
    ctx = _bn(_conv(F.avg_pool2d(b, r, r), sc.k2[1]), sc.k2[2])
    if mode == 'nearest':  # every pixel of an r x r cell takes its cell's value
        ctx = ctx.repeat_interleave(r, dim=-2).repeat_interleave(r, dim=-1)
    else:
        ctx = F.interpolate(ctx, size=b.shape[-2:], mode='bilinear', align_corners=False)
    gate = torch.sigmoid(b + ctx)
    b = F.relu(_bn(_conv(_bn(_conv(b, sc.k3[0]), sc.k3[1]) * gate, sc.k4[0]), sc.k4[1]))
    out = _bn(_conv(torch.cat([a, b], 1), blk.conv3), blk.norm3)
    return F.relu(out + x)


@pytest.mark.parametrize('mode', ['nearest', 'bilinear'])
def test_one_block_matches_a_hand_computation(mode):
    torch.manual_seed(0)
    neck = SCNetBEVNeck(in_channels=32, num_blocks=2, pooling_r=4, upsample_mode=mode)
    _randomise_norms(neck)
    neck.eval()
    x = torch.randn(2, 32, 16, 24)
    with torch.no_grad():
        first = neck.blocks[0](x)
        assert torch.allclose(first, _block_by_hand(neck.blocks[0], x, 4, mode), atol=1e-5)
        # the neck is the blocks in sequence, C, H, W kept
        out = neck(x)
        expect = _block_by_hand(neck.blocks[1], first, 4, mode)
    assert out.shape == x.shape
    assert torch.allclose(out, expect, atol=1e-5)
    # branch widths: C // 8 each, concat C // 4, expanded back to C
    blk = neck.blocks[0]
    assert (blk.conv1_a.out_channels, blk.conv1_b.out_channels) == (4, 4)
    assert (blk.conv3.in_channels, blk.conv3.out_channels) == (8, 32)


def test_gate_reaches_the_pooled_neighbourhood_and_the_plain_conv_does_not():
    """r = 4: pixel p = (12, 12) lies in pooled cell (3, 3). A change at (12, 18) (6 px away, in
    pooled cell (3, 4), a neighbour) changes the gate at p through K2's 3x3 conv on the pooled
    map, but not a plain 3x3 conv at p (1 px reach); a change at (12, 24) (pooled cell (3, 6),
    beyond K2's reach) leaves the gate at p unchanged too."""
    torch.manual_seed(0)
    sc = SelfCalibratedConv(4, pooling_r=4)
    _randomise_norms(sc)
    sc.eval()
    x = torch.randn(1, 4, 32, 32)
    near, far = x.clone(), x.clone()
    near[..., 12, 18] += 5.0
    far[..., 12, 24] += 5.0
    with torch.no_grad():
        g, g_near, g_far = sc.gate(x), sc.gate(near), sc.gate(far)
        k3, k3_near = sc.k3(x), sc.k3(near)
    assert (g_near[..., 12, 12] - g[..., 12, 12]).abs().max() > 1e-3
    assert torch.equal(g_far[..., 12, 12], g[..., 12, 12])
    assert torch.equal(k3_near[..., 12, 12], k3[..., 12, 12])
    # exactly the pixels of the pooled cells K2 reaches from cell (3, 4) change: rows of cells
    # 2..4 (px 8..19), columns of cells 3..5 (px 12..23) (nearest upsampling)
    changed = (g_near != g).any(dim=1)[0]
    expect = torch.zeros(32, 32, dtype=torch.bool)
    expect[8:20, 12:24] = True
    assert torch.equal(changed, expect)

    # the same in a whole bottleneck: branch B (self-calibrated) sees the change, branch A
    # (1x1 then 3x3) does not
    torch.manual_seed(1)
    blk = SCBottleneck(32, pooling_r=4)
    _randomise_norms(blk)
    blk.eval()
    x = torch.randn(1, 32, 32, 32)
    near = x.clone()
    near[..., 12, 18] += 5.0
    with torch.no_grad():
        assert torch.equal(blk.branch_a(near)[..., 12, 12], blk.branch_a(x)[..., 12, 12])
        assert (blk.branch_b(near)[..., 12, 12] - blk.branch_b(x)[..., 12, 12]).abs().max() > 0


@pytest.mark.parametrize('num_blocks', [1, 3, 4])
def test_num_blocks_builds_exactly_that_many(num_blocks):
    neck = MODELS.build(dict(type='SCNetBEVNeck', in_channels=64, num_blocks=num_blocks))
    assert isinstance(neck, SCNetBEVNeck) and neck.num_blocks == num_blocks
    assert len(neck.blocks) == num_blocks
    assert sum(isinstance(m, SCBottleneck) for m in neck.modules()) == num_blocks
    one = SCNetBEVNeck(in_channels=64, num_blocks=1)
    assert sum(p.numel() for p in neck.parameters()) == \
        num_blocks * sum(p.numel() for p in one.parameters())
    assert neck(torch.randn(1, 64, 12, 8)).shape == (1, 64, 12, 8)


def test_trains_on_cpu_and_sends_gradients_to_every_block():
    neck = SCNetBEVNeck(in_channels=16, num_blocks=2)
    neck.train()
    neck(torch.randn(2, 16, 8, 12)).square().mean().backward()
    for i, blk in enumerate(neck.blocks):
        assert blk.scconv.k2[1].weight.grad.abs().sum() > 0, i
        assert blk.k1[0].weight.grad.abs().sum() > 0, i


@pytest.mark.parametrize('kwargs,match', [
    (dict(in_channels=60), r'in_channels=60 must be a positive multiple of 8.*two branches'),
    (dict(in_channels=4), r'in_channels=4 must be a positive multiple of 8'),
    (dict(in_channels=64, num_blocks=0), r'num_blocks=0 must be an integer >= 1.*bev_neck=None'),
    (dict(in_channels=64, num_blocks=2.0), r'num_blocks=2.0 must be an integer'),
    (dict(in_channels=64, pooling_r=0), r'pooling_r=0 must be an integer >= 1'),
    (dict(in_channels=64, upsample_mode='bicubic'), r"upsample_mode='bicubic'.*nearest"),
])
def test_bad_config_says_what_and_how_to_fix(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(type='SCNetBEVNeck', **kwargs))


def test_bad_input_says_what_and_how_to_fix():
    neck = SCNetBEVNeck(in_channels=64, num_blocks=1)
    with pytest.raises(ValueError, match=r'expected \(B, 64, H, W\).*bev_compressor'):
        neck(torch.randn(1, 32, 16, 16))
    with pytest.raises(ValueError, match=r'pooling_r=4.*smaller pooling_r'):
        neck(torch.randn(1, 64, 3, 16))
