# Copyright (c) distillbev contributors. All rights reserved.
"""ImageDepthPretrainer: its loss is BEVDepth's depth BCE of its depth head (a conv head, or the
student's camera-aware depth net), its prediction is the expected depth of the bins, it trains, and
the student configs' `Pretrained` inits (`img_backbone.`, `img_neck.`, `img_view_transformer.`)
load exactly its weights."""
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
BEVDEPTH = osp.join(ROOT, 'configs', 'students',
                    'bevdepth_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py')


def _model(conv_head: bool = True):
    """The benchmark's pre-training model; ``conv_head``: with a small conv depth head instead
    of the BEVDepth depth net."""
    cfg = Config.fromfile(PRETRAIN)
    if conv_head:
        cfg.model.pop('img_view_transformer')
        cfg.model.update(depth_cfg=[1.0, 40.0, 1.0], in_channels=128)
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
    probs = model.extract_feat(batch, [sample.metainfo])
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


def test_depth_net_head_is_the_students_depth_loss_and_trains():
    model = _model(conv_head=False)
    vt = model.img_view_transformer
    assert type(vt).__name__ == 'BEVDepthViewTransformer' and not hasattr(model, 'depth_head')
    inputs, sample = multiview_sample(with_depth=True)
    batch = dict(imgs=inputs['imgs'][None])
    losses = model.loss(batch, [sample])
    # by hand: the depth net's first D channels, softmax, the view transformer's own loss
    feats = model.img_neck(model.img_backbone(inputs['imgs']))[0]
    cams = {k: v for k, v in _cam_params(sample).items()}
    logits = vt.depth_net(feats, vt.camera_vector(cams))[:, :vt.depth_channels]
    expected = depth_bce_loss(logits.softmax(dim=1), sample.gt_depth, [2.0, 38.0, 0.5],
                              (16, 16), 3.0)
    assert vt.depth_channels == 72
    assert losses['loss_depth'].item() == pytest.approx(expected.item(), rel=1e-5)
    before = [p.detach().clone() for p in vt.depth_net.parameters()]
    losses['loss_depth'].backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert any(not torch.equal(b, p) for b, p in zip(before, vt.depth_net.parameters()))
    with pytest.raises(ValueError, match='not both'):
        cfg = Config.fromfile(PRETRAIN)
        cfg.model.update(depth_cfg=[1.0, 40.0, 1.0], in_channels=128)
        with DefaultScope.overwrite_default_scope('mmdet3d'):
            MODELS.build(cfg.model)


def _cam_params(sample):
    from distillbev.models.students.bevdet import camera_params
    return camera_params([sample.metainfo], 6, torch.device('cpu'))


@pytest.mark.parametrize('student_cfg,parts', [
    (STUDENT, ('img_backbone', 'img_neck')),
    (BEVDEPTH, ('img_backbone', 'img_neck', 'img_view_transformer')),
])
def test_student_pretrained_init_loads_the_pretrained_parts(tmp_path, student_cfg, parts):
    model = _model(conv_head=False)
    ckpt = tmp_path / 'pretrain.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    cfg = Config.fromfile(student_cfg)
    for part in parts:
        assert cfg.model[part].init_cfg == dict(
            type='Pretrained', checkpoint=cfg.pretrained, prefix=part + '.')
        cfg.model[part].init_cfg.checkpoint = str(ckpt)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(1)
        student = MODELS.build(cfg.model)
    student.init_weights()
    for part in parts:
        mine, theirs = getattr(student, part).state_dict(), getattr(model, part).state_dict()
        assert mine.keys() == theirs.keys()
        for key in mine:
            assert torch.equal(mine[key], theirs[key]), f'{part}.{key}'
