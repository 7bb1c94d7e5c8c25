# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDLECenterNet3D + MonoDLEHead: tap-able outputs (backbone strides 8/16/32, head dict),
loss wiring against hand values with zeroed branches, a frame without objects, prediction."""
import math

import pytest
import torch
from helpers.mono import MONO_HW, mono_sample
from mmdet3d.registry import MODELS
from mmdet3d.structures import CameraInstance3DBoxes
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401

H, W = MONO_HW
_sample = mono_sample


def _model(feat_channels=16):
    cfg = dict(
        type='MonoDLECenterNet3D',
        data_preprocessor=dict(type='Det3DDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                               pad_size_divisor=32),
        backbone=dict(type='DLANet', depth=34, in_channels=3, norm_cfg=dict(type='BN')),
        neck=dict(type='DLANeck', in_channels=[16, 32, 64, 128, 256, 512], start_level=2,
                  end_level=5, norm_cfg=dict(type='BN')),
        bbox_head=dict(type='MonoDLEHead', num_classes=3, in_channels=64,
                       feat_channels=feat_channels, test_cfg=dict(score_thr=0.0)))
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_taps_backbone_strides_and_head_dict():
    model = _model()
    seen = {}
    model.backbone.register_forward_hook(lambda m, i, o: seen.setdefault('backbone', o))
    model.bbox_head.register_forward_hook(lambda m, i, o: seen.setdefault('head', o))
    model.loss(dict(imgs=torch.rand(1, 3, H, W)), [_sample()])  # hooks fire in loss and predict
    shapes = [tuple(f.shape) for f in seen['backbone'][3:]]
    assert shapes == [(1, 128, H // 8, W // 8), (1, 256, H // 16, W // 16),
                      (1, 512, H // 32, W // 32)]
    head = seen['head']
    channels = {k: v.shape[1] for k, v in head.items()}
    assert channels == dict(heatmap=3, offset_2d=2, size_2d=2, depth=2, offset_3d=2,
                            size_3d=3, heading=24)
    assert all(v.shape[-2:] == (H // 4, W // 4) for v in head.values())
    # heatmap bias: CenterNet prior 0.1
    assert float(model.bbox_head.branches.heatmap[-1].bias[0]) == pytest.approx(-2.19)


def test_loss_terms_by_hand_with_zeroed_branches():
    """Regression branches output exactly 0: each term has a closed form."""
    model = _model()
    for name, branch in model.bbox_head.branches.items():
        if name != 'heatmap':
            torch.nn.init.zeros_(branch[-1].weight)
            torch.nn.init.zeros_(branch[-1].bias)
    sample = _sample()
    losses = model.loss(dict(imgs=torch.rand(2, 3, H, W)), [sample, _sample(False)])
    t = model.bbox_head.get_targets([sample], (H // 4, W // 4), torch.device('cpu'))
    m = t['mask'][0]
    assert int(m.sum()) == 1
    assert float(losses['loss_offset_2d']) == pytest.approx(float(t['offset_2d'][0][m].abs()
                                                                  .mean()), rel=1e-5)
    assert float(losses['loss_size_2d']) == pytest.approx(float(t['size_2d'][0][m].abs().mean()),
                                                          rel=1e-5)
    assert float(losses['loss_offset_3d']) == pytest.approx(
        float(t['offset_3d'][0][m].abs().mean()), rel=1e-5)
    # depth logit 0 -> 1 m (minus the 1e-6 guard), log-variance 0: sqrt(2) |1 - 10|
    assert float(losses['loss_depth']) == pytest.approx(math.sqrt(2) * 9.0, rel=1e-4)
    # size residual 0 -> mean size (3.5259, 1.5256, 1.6286) vs (3.9, 1.6, 1.6): plain L1 value
    expect = (abs(3.5259 - 3.9) + abs(1.5256 - 1.6) + abs(1.6286 - 1.6)) / 3
    assert float(losses['loss_size_3d']) == pytest.approx(expect, rel=1e-4)
    # uniform bins: CE = log 12, residual 0 vs the GT residual
    assert float(losses['loss_heading']) == pytest.approx(
        math.log(12) + float(t['heading_res'][0][m].abs().mean()), rel=1e-5)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.base_layer[0].weight.grad is not None


def test_frames_without_objects_give_finite_zero_regression():
    model = _model()
    losses = model.loss(dict(imgs=torch.rand(1, 3, H, W)), [_sample(False)])
    assert torch.isfinite(losses['loss_heatmap']) and float(losses['loss_heatmap']) > 0
    for k, v in losses.items():
        assert torch.isfinite(v), k
        if k != 'loss_heatmap':
            assert float(v) == 0.0 and v.requires_grad, k
    sum(losses.values()).backward()


def test_predict_gives_camera_boxes():
    model = _model().eval()
    with torch.no_grad():
        out = model.predict(dict(imgs=torch.rand(2, 3, H, W)), [_sample(), _sample(False)])
    for s in out:
        pred = s.pred_instances_3d
        assert isinstance(pred.bboxes_3d, CameraInstance3DBoxes)
        assert len(pred.bboxes_3d) == len(pred.scores_3d) == len(pred.labels_3d) == 50
        assert (pred.bboxes_3d.dims > 0).all() and (pred.bboxes_3d.tensor[:, 2] > 0).all()
        assert s.pred_instances.bboxes.shape == (50, 4)


def test_head_config_errors():
    from distillbev.models.dense_heads import MonoDLEHead
    with pytest.raises(ValueError, match='mean_sizes'):
        MonoDLEHead(num_classes=1)
    with pytest.raises(ValueError, match='loss_weights'):
        MonoDLEHead(loss_weights=dict(depht=1.0))
    with pytest.raises(ValueError, match='test_cfg'):
        MonoDLEHead(test_cfg=dict(max_per_img=100))
