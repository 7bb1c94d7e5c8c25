# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest
import torch

from distillbev.models.losses import FGBGAttentionFeatureLoss


def set_conv(loss, weight=0.5, bias=0.1):
    for conv in loss.spatial_convs:
        with torch.no_grad():
            conv.weight.zero_()
            conv.weight[0, 0, 1, 1] = weight
            conv.bias.fill_(bias)
    return loss


def two_cells():
    # (B=1, C=2, H=1, W=2). T: cell0 (2, 0), cell1 (0, 0). S: cell0 (1, 2), cell1 (1, -1)
    t = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]]])
    s = torch.tensor([[[[1.0, 1.0]], [[2.0, -1.0]]]])
    # d = (S - T)^2: cell0 (1, 4), cell1 (1, 1)
    # spatial att: mean_c|T| = [1, 0] / 0.5 -> softmax([2, 0]) * 2
    e2 = math.exp(2.0)
    att = [2 * e2 / (e2 + 1), 2 * 1 / (e2 + 1)]
    # channel att: mean_hw|T| = [1, 0] / 0.5 -> softmax([2, 0]) * 2 (same numbers)
    chan = [2 * e2 / (e2 + 1), 2 * 1 / (e2 + 1)]
    return s, t, att, chan


def test_fg_bg_spatial_by_hand():
    s, t, att, chan = two_cells()
    fg = torch.tensor([[[[1.0, 0.0]]]])
    fg_scale = torch.tensor([[[[0.5, 0.0]]]])
    loss = set_conv(FGBGAttentionFeatureLoss(fg_weight=1.0, bg_weight=1.0, spatial_weight=1.0))
    l_fg = 0.5 * att[0] * (1 + 4)  # summed over channels, fg scale 0.5
    l_bg = 1.0 * att[1] * (1 + 1)  # bg scale 1 / #bg cells = 1
    # conv(mean_c S) = 0.5 * [1.5, 0] + 0.1 = [0.85, 0.1]; mean_c T = [1, 0]
    l_sp = abs(1 - 0.85) + abs(0 - 0.1)
    out = loss(s, t, fg_mask=fg, fg_scale=fg_scale)
    assert out.item() == pytest.approx(l_fg + l_bg + l_sp, rel=1e-5)
    # official weights and B = 2 (sum over the batch divided by B: same value)
    off = set_conv(FGBGAttentionFeatureLoss())
    out2 = off(s.repeat(2, 1, 1, 1), t.repeat(2, 1, 1, 1), fg_mask=fg.repeat(2, 1, 1, 1),
               fg_scale=fg_scale.repeat(2, 1, 1, 1))
    assert out2.item() == pytest.approx(6e-3 * l_fg + 4e-2 * l_bg + 2.5e-3 * l_sp, rel=1e-5)
    # channel attention on FG/BG and the channel loss
    ch = set_conv(FGBGAttentionFeatureLoss(fg_weight=1.0, bg_weight=1.0, spatial_weight=0.0,
                                           channel_weight=1.0, use_channel_mask=True))
    l_fg_c = 0.5 * att[0] * (1 * chan[0] + 4 * chan[1])
    l_bg_c = att[1] * (1 * chan[0] + 1 * chan[1])
    l_ch = abs(1 - 1) + abs(0 - 0.5)  # mean_hw T = (1, 0), mean_hw S = (1, 0.5)
    assert ch(s, t, fg, fg_scale).item() == pytest.approx(l_fg_c + l_bg_c + l_ch, rel=1e-5)


def test_teacher_student_attention():
    s, t, att, _ = two_cells()
    fg = torch.tensor([[[[1.0, 0.0]]]])
    loss = FGBGAttentionFeatureLoss(fg_weight=1.0, bg_weight=0.0, spatial_weight=0.0,
                                    attention='teacher_student')
    # student: mean_c|S| = [1.5, 1] / 0.5 -> softmax([3, 2]) * 2
    a_s0 = 2 * math.exp(3) / (math.exp(3) + math.exp(2))
    assert loss(s, t, fg).item() == pytest.approx((att[0] + a_s0) / 2 * 5, rel=1e-5)


def test_false_positive_term_by_hand():
    # three cells: FG, FP, BG
    t = torch.tensor([[[[2.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]]])
    s = torch.tensor([[[[1.0, 1.0, 1.0]], [[2.0, 2.0, -1.0]]]])  # d: (1,4), (1,4), (1,1)
    e2, e43 = math.exp(2.0), math.exp(4 / 3)
    att = [3 * e2 / (e2 + 2), 3 / (e2 + 2), 3 / (e2 + 2)]
    chan = [2 * e43 / (e43 + 1), 2 / (e43 + 1)]  # mean_hw|T| = (2/3, 0) / 0.5
    fg = torch.tensor([[[[1.0, 0.0, 0.0]]]])
    fp = torch.tensor([[[[1.0, 1.0, 0.0]]]])  # the FG cell is removed from FP
    loss = FGBGAttentionFeatureLoss(fg_weight=1.0, bg_weight=1.0, fp_weight=1.0,
                                    spatial_weight=0.0)
    l_fg = att[0] * 5  # no fg_scale given -> 1
    l_bg = att[2] * 2  # BG = 1 cell -> scale 1
    l_fp = att[1] * (1 * chan[0] + 4 * chan[1])  # FP = 1 cell, with channel attention
    assert loss(s, t, fg, fp_mask=fp).item() == pytest.approx(l_fg + l_bg + l_fp, rel=1e-5)
    no_ch = FGBGAttentionFeatureLoss(fg_weight=1.0, bg_weight=1.0, fp_weight=1.0,
                                     spatial_weight=0.0, fp_uses_channel_att=False)
    assert no_ch(s, t, fg, fp_mask=fp).item() == pytest.approx(l_fg + l_bg + att[1] * 5,
                                                               rel=1e-5)
    # an explicit bg_scale (e.g. BEVBoxMask's 1 / #non-FG = 1 / 2) is used as given
    given = loss(s, t, fg, bg_scale=torch.full((1, 1, 1, 1), 0.5), fp_mask=fp)
    assert given.item() == pytest.approx(l_fg + 0.5 * l_bg + l_fp, rel=1e-5)


def test_levels_no_boxes_and_errors():
    s, t, att, _ = two_cells()
    fg0 = torch.zeros(1, 1, 1, 2)  # no boxes in view: only background, scale 1 / 2
    loss = FGBGAttentionFeatureLoss(num_levels=2, fg_weight=1.0, bg_weight=1.0,
                                    spatial_weight=0.0, fp_weight=[0.0, 1.0])
    one = (att[0] * 5 + att[1] * 2) / 2
    out = loss([s, s], [t, t], fg_mask=[fg0, fg0], fp_mask=[None, None])
    assert out.item() == pytest.approx(2 * one, rel=1e-5) and math.isfinite(out.item())
    with pytest.raises(ValueError, match='num_levels'):
        loss(s, t, fg0)
    with pytest.raises(ValueError, match='out_shapes'):
        FGBGAttentionFeatureLoss()(s, t, torch.zeros(1, 1, 2, 2))


def test_autocast_bf16_and_gradients():
    s, t, _, _ = two_cells()
    fg = torch.tensor([[[[1.0, 0.0]]]])
    loss = set_conv(FGBGAttentionFeatureLoss(fg_weight=1.0, bg_weight=1.0, spatial_weight=1.0))
    ref = loss(s, t, fg)
    sb, tb = s.bfloat16().requires_grad_(), t.bfloat16().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(sb, tb, fg.bfloat16(), fg_scale=torch.ones(1, 1, 1, 2, dtype=torch.bfloat16))
    assert out.dtype == torch.float32 and torch.isfinite(out)
    assert out.item() == pytest.approx(ref.item(), rel=2e-2)
    out.backward()
    assert sb.grad is not None and sb.grad.abs().sum() > 0 and tb.grad is None
    assert loss.spatial_convs[0].weight.grad is not None  # the learned 3x3 conv trains


def test_teacher_student_attention_averages_the_two_maps():
    # one channel, two cells: |T| = (1, 0), |S| = (0, 1) -> a_t = 2 softmax([2, 0]) and
    # a_s = 2 softmax([0, 2]), so (a_t + a_s) / 2 = (1, 1) exactly; d = (1, 1), FG = cell 0
    t = torch.tensor([[[[1.0, 0.0]]]])
    s = torch.tensor([[[[0.0, 1.0]]]])
    fg = torch.tensor([[[[1.0, 0.0]]]])
    kw = dict(fg_weight=1.0, bg_weight=0.0, spatial_weight=0.0)
    both = FGBGAttentionFeatureLoss(attention='teacher_student', **kw)
    assert both(s, t, fg).item() == pytest.approx(1.0, rel=1e-6)
    e2 = math.exp(2.0)
    teacher = FGBGAttentionFeatureLoss(**kw)
    assert teacher(s, t, fg).item() == pytest.approx(2 * e2 / (e2 + 1), rel=1e-6)


@pytest.mark.parametrize('name', [
    'distillbev_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d',
    'distillbev_bevdepth-r50_centerpoint-pillar02_8xb8-cbgs-24e_nus-3d'])
def test_distillbev_configs_average_teacher_and_student_attention(name):
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'distillbev', name + '.py'))
    losses = [v for v in cfg.model.distill_losses.values()
              if v.type == 'FGBGAttentionFeatureLoss']
    assert len(losses) == 3
    assert all(v.attention == 'teacher_student' for v in losses)
