# Copyright (c) distillbev contributors. All rights reserved.
"""projects/CWDistill: a KD loss added from outside distillbev, loaded by `custom_imports`: the
loss against a hand computation, and its config building and training one step."""
import math
import os.path as osp
import sys

import pytest
import torch
from helpers.multiview import multiview_sample
from mmengine.config import Config
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'projects', 'CWDistill', 'configs',
               'cwd_bevdepth-r18_centerpoint-pillar04_1xb4-15min_synthetic-nus-bench-3d.py')


@pytest.fixture(autouse=True)
def repo_root_on_path(monkeypatch):
    # what tools/train.py does when run from the repository root
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'path', [ROOT] + sys.path)


def test_loss_by_hand():
    from projects.CWDistill.cwd_distill import ChannelWiseDivergenceBEVLoss
    # one sample, two channels, two positions
    s = torch.tensor([[[[0.0, 0.0]], [[1.0, 0.0]]]])
    t = torch.tensor([[[[math.log(3.0), 0.0]], [[0.0, 1.0]]]])
    # channel 0: p_t = (3/4, 1/4), p_s = (1/2, 1/2): KL = 3/4 ln(3/2) + 1/4 ln(1/2)
    kl0 = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    # channel 1: p_t = (1-a, a), p_s = (a, 1-a), a = e/(1+e): KL = (2a - 1) ln(a / (1-a)) = 2a-1
    a = math.e / (1 + math.e)
    kl1 = (2 * a - 1) * 1.0
    loss = ChannelWiseDivergenceBEVLoss(tau=1.0, loss_weight=2.0)(s, t)
    assert loss.item() == pytest.approx(2.0 * (kl0 + kl1) / 2, rel=1e-5)
    # tau: logits divided by tau, the result times tau^2
    loss_tau = ChannelWiseDivergenceBEVLoss(tau=2.0)(s, t)
    ref = ChannelWiseDivergenceBEVLoss(tau=1.0)(s / 2, t / 2) * 4
    assert loss_tau.item() == pytest.approx(ref.item(), rel=1e-6)
    assert ChannelWiseDivergenceBEVLoss()(t, t).item() == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match='adapter'):
        ChannelWiseDivergenceBEVLoss()(s, t[:, :1])


def test_config_imports_the_project_and_trains_one_step():
    cfg = Config.fromfile(CFG)  # runs custom_imports: registers the project's loss
    assert 'projects.CWDistill.cwd_distill' in cfg.custom_imports.imports
    m = cfg.model
    m.teacher_ckpt, m.allow_random_teacher = None, True
    for part in ('img_backbone', 'img_neck', 'img_view_transformer'):
        m.student[part].init_cfg = None  # the pre-training's weights: a training stage's file
    from mmdet3d.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(m)
        model.init_weights()
        model.train()
        inputs, sample = multiview_sample(with_depth=True)
        losses = model.loss(dict(imgs=inputs['imgs'][None], points=[inputs['points']]), [sample])
    assert torch.isfinite(losses['distill.loss_cwd']) and losses['distill.loss_cwd'] > 0
    total, _ = model.parse_losses(losses)
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.adapters['neck'].parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.student.img_bev_encoder_neck.parameters())
