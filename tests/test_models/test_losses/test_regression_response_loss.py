# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest
import torch

from distillbev.models.losses import RegressionResponseLoss

KEYS = ('reg', 'height')  # 2 + 1 = 3 channels


def head(reg, height, heatmap=None):
    """A one-row head output: ``reg[cell] = (ch0, ch1)``, ``height[cell]``, ``heatmap[cell]``."""
    d = dict(reg=torch.tensor(reg).T[None, :, None, :],  # (1, 2, 1, X)
             height=torch.tensor(height)[None, None, None, :])  # (1, 1, 1, X)
    if heatmap is not None:
        d['heatmap'] = torch.tensor(heatmap).T[None, :, None, :]  # (1, K, 1, X)
    return d


def sl1(x):
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


def cmkd_case():
    # two cells; teacher heatmap K = 2: cell 0 logits (0, 0) -> h = 1.0; cell 1 -> h ~ 9e-5
    s = head([[0.5, 2.0], [3.0, 3.0]], [-1.0, 3.0])
    t = head([[0.0, 0.0], [0.0, 0.0]], [0.0, 0.0], heatmap=[[0.0, 0.0], [-10.0, -10.0]])
    return s, t


def test_head_helper_layout():
    s, _ = cmkd_case()
    assert s['reg'].shape == (1, 2, 1, 2) and s['reg'][0, :, 0, 0].tolist() == [0.5, 2.0]
    assert s['height'].shape == (1, 1, 1, 2)


def test_teacher_conf_by_hand():
    s, t = cmkd_case()
    cell0 = sl1(0.5) + sl1(2.0) + sl1(-1.0)  # 0.125 + 1.5 + 0.5 = 2.125, weight h = 1
    loss = RegressionResponseLoss(keys=KEYS, weighting='teacher_conf', conf_thr=0.1)([s], [t])
    assert loss.item() == pytest.approx(cell0 * 1.0 / (3 * 1), rel=1e-6)
    # CMKD parity: 4 * mean over (confident cells x 3 channels) of SL1 * h * 3 -> scale = 12
    cmkd = RegressionResponseLoss(keys=KEYS, scale=12.0, loss_weight=2.0)([s], [t])
    assert cmkd.item() == pytest.approx(2.0 * 4 * (cell0 * 1.0 * 3) / (1 * 3), rel=1e-6)
    hmax = RegressionResponseLoss(keys=KEYS, conf_reduce='max')([s], [t])
    assert hmax.item() == pytest.approx(cell0 * 0.5 / 3, rel=1e-6)
    # several tasks are summed; an explicit weight list replaces the teacher confidence
    two = RegressionResponseLoss(keys=KEYS)([s, s], [t, t])
    assert two.item() == pytest.approx(2 * cell0 / 3, rel=1e-6)
    w = [torch.tensor([[[[0.0, 0.5]]]])]
    cell1 = sl1(3.0) + sl1(3.0) + sl1(3.0)
    ext = RegressionResponseLoss(keys=KEYS)([s], [t], weight=w)
    assert ext.item() == pytest.approx(cell1 * 0.5 / 3, rel=1e-6)
    # no confident cell: 0
    t_cold = dict(t, heatmap=torch.full((1, 2, 1, 2), -10.0))
    assert RegressionResponseLoss(keys=KEYS)([s], [t_cold]).item() == 0.0


def test_gt_gaussian_by_hand():
    s0 = head([[0.5, 2.0], [0.0, 0.0]], [-1.0, 0.0])
    s1 = head([[1.0, 1.0], [3.0, 0.0]], [1.0, 0.0])
    t0 = head([[0.0, 0.0], [0.0, 0.0]], [0.0, 0.0])
    # |d| over the 6 concatenated channels: cell 0 (0.5, 2, 1, 1, 1, 1), cell 1 (0, 0, 0, 3, 0, 0)
    e = [(0.5 + 2 + 1 + 1 + 1 + 1) / 6, 3 / 6]
    g = torch.tensor([[[[1.0, 0.5]]]])
    loss = RegressionResponseLoss(keys=KEYS, criterion='l1', weighting='gt_gaussian',
                                  loss_weight=10.0)([s0, s1], [t0, t0], gt_mask=g)
    assert loss.item() == pytest.approx(10 * (e[0] * 1 + e[1] * 0.5) / 1.5, rel=1e-6)
    plain = RegressionResponseLoss(keys=KEYS, criterion='l1', weighting='none')([s0, s1],
                                                                                [t0, t0])
    assert plain.item() == pytest.approx(sum(e) / 2, rel=1e-6)
    empty = RegressionResponseLoss(keys=KEYS, weighting='gt_gaussian')(
        [s0, s1], [t0, t0], gt_mask=torch.zeros(1, 1, 1, 2))
    assert empty.item() == 0.0 and math.isfinite(empty.item())


def test_missing_key_is_named():
    s, t = cmkd_case()
    with pytest.raises(KeyError, match='vel'):
        RegressionResponseLoss(keys=('reg', 'vel'))([s], [t])


@pytest.mark.parametrize('weighting', ['teacher_conf', 'gt_gaussian'])
def test_autocast_bf16_and_gradients(weighting):
    s, t = cmkd_case()
    g = torch.tensor([[[[1.0, 0.5]]]])
    ref = RegressionResponseLoss(keys=KEYS, weighting=weighting)([s], [t], gt_mask=g)
    sb = {k: v.bfloat16().requires_grad_() for k, v in s.items()}
    tb = {k: v.bfloat16().requires_grad_() for k, v in t.items()}
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = RegressionResponseLoss(keys=KEYS, weighting=weighting)(
            [[sb]], [[tb]], gt_mask=g.bfloat16())
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert loss.item() == pytest.approx(ref.item(), rel=2e-2)
    loss.backward()
    assert sb['reg'].grad is not None and all(v.grad is None for v in tb.values())


def test_cmkd_mv_head_mean_by_hand():
    """CMKD-MV (nuScenes): per regression head, the mean over all its elements of
    SmoothL1 x sigmoid(sum of teacher logits), no threshold, summed over heads and tasks."""
    s, t = cmkd_case()
    w0, w1 = 0.5, 1 / (1 + math.exp(20.0))  # sigmoid(0 + 0), sigmoid(-10 - 10)
    reg = (sl1(0.5) * w0 + sl1(2.0) * w0 + 2 * sl1(3.0) * w1) / 4  # (B, 2, 1, 2): 4 elements
    height = (sl1(-1.0) * w0 + sl1(3.0) * w1) / 2  # (B, 1, 1, 2): 2 elements
    loss = RegressionResponseLoss(keys=KEYS, conf_reduce='sigmoid_sum_logits', conf_thr=None,
                                  normalize='head_mean', loss_weight=50.0)
    assert loss([s], [t]).item() == pytest.approx(50.0 * (reg + height), rel=1e-6)
    assert loss([s, s], [t, t]).item() == pytest.approx(100.0 * (reg + height), rel=1e-6)
    # the CMKD-KITTI normaliser is still the default: sum / (C x #cells) here (no threshold)
    kitti = RegressionResponseLoss(keys=KEYS, conf_reduce='sigmoid_sum_logits', conf_thr=None)
    cells = (sl1(0.5) + sl1(2.0) + sl1(-1.0)) * w0 + 3 * sl1(3.0) * w1
    assert kitti([s], [t]).item() == pytest.approx(cells / (3 * 2), rel=1e-6)


def test_normalize_is_checked_at_build_time():
    with pytest.raises(ValueError, match="'conf_cells' \\(CMKD-KITTI\\) or 'head_mean'"):
        RegressionResponseLoss(normalize='mean')
    with pytest.raises(ValueError, match="weighting='gt_gaussian'"):
        RegressionResponseLoss(weighting='gt_gaussian', normalize='head_mean')


@pytest.mark.parametrize('name', ['cmkd_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d',
                                  'cmkd_bevdet-r50_centerpoint-voxel01_8xb8-cbgs-24e_nus-3d'])
def test_nuscenes_cmkd_configs_use_the_cmkd_mv_normaliser(name):
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'cmkd', name + '.py'))
    reg = cfg.model.distill_losses.loss_reg
    assert reg.type == 'RegressionResponseLoss' and reg.normalize == 'head_mean'
    assert reg.conf_thr is None and reg.conf_reduce == 'sigmoid_sum_logits'
