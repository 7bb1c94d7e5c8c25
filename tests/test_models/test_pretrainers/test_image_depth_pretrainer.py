# Copyright (c) distillbev contributors. All rights reserved.
"""ImageDepthPretrainer: its loss is BEVDepth's depth BCE of its own head, its prediction is the
expected depth of the bins, it trains, and a student config's `Pretrained` init with the
`img_backbone.` / `img_neck.` prefixes loads exactly its encoder."""
import os.path as osp

import pytest
import torch
from helpers.multiview import multiview_sample
from mmengine.config import Config
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from distillbev.models.view_transforms.depth_loss import depth_bce_loss
from mmdet3d.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
PRETRAIN = osp.join(ROOT, 'configs', 'pretrain',
                    'r18-fpn_depth-pretrain_1xb4-10min_synthetic-nus-bench.py')
STUDENT = osp.join(ROOT, 'configs', 'students',
                   'bevdet_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py')


def _model():
    cfg = Config.fromfile(PRETRAIN)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_loss_is_depth_bce_of_its_head_and_a_step_trains():
    model = _model()
    inputs, sample = multiview_sample(with_depth=True)
    batch = dict(imgs=inputs['imgs'][None])
    losses = model.loss(batch, [sample])
    probs = model.extract_feat(batch)
    assert probs.shape == (6, 39, 8, 22)
    expected = depth_bce_loss(probs, sample.gt_depth, [1.0, 40.0, 1.0], (16, 16), 3.0)
    assert losses['loss_depth'].item() == pytest.approx(expected.item(), rel=1e-5)
    before = next(model.img_backbone.parameters()).detach().clone()
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    losses['loss_depth'].backward()
    optim.step()
    assert not torch.equal(before, next(model.img_backbone.parameters()))
    with pytest.raises(KeyError, match='MultiViewDepthFromLiDAR'):
        _, no_depth = multiview_sample(with_depth=False)
        model.loss(batch, [no_depth])


def test_predicted_depth_is_the_expected_bin_centre():
    model = _model().eval()
    inputs, sample = multiview_sample()
    # put all the mass on bin 11 ([12, 13) m): the expected depth is its centre, 12.5 m
    with torch.no_grad():
        head = model.depth_head[-1]
        head.weight.zero_()
        head.bias.fill_(-50.0)
        head.bias[11] = 50.0
        out = model.predict(dict(imgs=inputs['imgs'][None]), [sample])
    assert out[0].pred_depth.shape == (6, 8, 22)
    assert torch.allclose(out[0].pred_depth, torch.full((6, 8, 22), 12.5))


def test_student_pretrained_init_loads_the_encoder(tmp_path):
    model = _model()
    ckpt = tmp_path / 'pretrain.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    cfg = Config.fromfile(STUDENT)
    for part in ('img_backbone', 'img_neck'):
        assert cfg.model[part].init_cfg == dict(
            type='Pretrained', checkpoint=cfg.pretrained, prefix=part + '.')
        cfg.model[part].init_cfg.checkpoint = str(ckpt)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(1)
        student = MODELS.build(cfg.model)
    student.init_weights()
    for part in ('img_backbone', 'img_neck'):
        mine, theirs = getattr(student, part).state_dict(), getattr(model, part).state_dict()
        assert mine.keys() == theirs.keys()
        for key in mine:
            assert torch.equal(mine[key], theirs[key]), f'{part}.{key}'
