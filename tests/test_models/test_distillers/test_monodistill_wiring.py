# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDistill wired through CrossModalDistiller on tiny MonoDLE models: a depth-image teacher,
backbone taps at strides 8/16/32 through the ABF adapter, the head dict tap, Box2DMask /
Center2DWindow targets and the three MonoDistill losses give finite values that train the
student; a batch without objects keeps them finite."""
import torch
from helpers.mono import MONO_HW
from helpers.mono import mono_sample as _sample
from mmdet3d.registry import MODELS
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401

H, W = MONO_HW


def _mono(feat_channels=16):
    return dict(
        type='MonoDLECenterNet3D',
        data_preprocessor=dict(type='Det3DDataPreprocessor', mean=[0., 0., 0.],
                               std=[1., 1., 1.]),
        backbone=dict(type='DLANet', depth=34, in_channels=3, norm_cfg=dict(type='BN')),
        neck=dict(type='DLANeck', in_channels=[16, 32, 64, 128, 256, 512], start_level=2,
                  end_level=5, norm_cfg=dict(type='BN')),
        bbox_head=dict(type='MonoDLEHead', num_classes=3, in_channels=64,
                       feat_channels=feat_channels))


def _distiller():
    levels = ['3', '4', '5']
    cfg = dict(
        type='CrossModalDistiller', student=_mono(), teacher=_mono(), teacher_ckpt=None,
        allow_random_teacher=True,
        teacher_runner=dict(type='TeacherDepthImageRunner', head='bbox_head'),
        student_taps=dict(backbone='backbone', heads='bbox_head'),
        teacher_taps=dict(backbone='backbone', heads='bbox_head'),
        adapters=dict(abf=dict(type='ABFAdapter', in_channels=[64, 128, 256, 512],
                               mid_channels=32, in_indices=(2, 3, 4, 5), out_indices=(1, 2, 3),
                               input='student.backbone')),
        kd_targets=dict(
            box=dict(type='Box2DMask', strides=(8, 16, 32),
                     inputs=dict(shape=[f'teacher.backbone.{i}.hw' for i in levels])),
            window=dict(type='Center2DWindow', stride=4,
                        inputs=dict(shape='teacher.heads.heatmap.hw',
                                    centers_2d='data.samples.*.gt_instances_3d.centers_2d'))),
        distill_losses=dict(
            loss_obj_feat=dict(type='MonoObjectFeatureLoss', loss_weight=10.0,
                               inputs=dict(s_feats=[f'student.abf.{i}' for i in range(3)],
                                           t_feats=[f'teacher.backbone.{i}' for i in levels],
                                           masks='target.box')),
            loss_affinity=dict(type='AffinityDistillLoss', loss_weight=1.0,
                               inputs=dict(s_feats=[f'student.abf.{i}' for i in range(3)],
                                           t_feats=[f'teacher.backbone.{i}' for i in levels])),
            loss_resp=dict(type='MonoHeadResponseLoss', loss_weight=1.0,
                           inputs=dict(s_preds='student.heads', t_preds='teacher.heads',
                                       mask='target.window.mask',
                                       indices='target.window.indices',
                                       valid='target.window.valid',
                                       heading_bin='target.window.heading_bin'))))
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_monodistill_losses_through_the_distiller():
    torch.manual_seed(0)
    model = _distiller()
    inputs = dict(imgs=torch.rand(2, 3, H, W), depth_imgs=torch.rand(2, 3, H, W))
    losses = model.loss(inputs, [_sample(), _sample(False)])
    for key in ('distill.loss_obj_feat', 'distill.loss_affinity', 'distill.loss_resp',
                'loss_heatmap', 'loss_depth'):
        assert key in losses and torch.isfinite(losses[key]), key
    assert float(losses['distill.loss_obj_feat']) > 0 and float(losses['distill.loss_resp']) > 0
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert model.adapters['abf'].post[0][0].weight.grad is not None
    # a batch without objects: the masked losses are zero, everything finite
    losses = model.loss(inputs, [_sample(False), _sample(False)])
    assert float(losses['distill.loss_obj_feat']) == 0.0
    assert all(torch.isfinite(v) for k, v in losses.items() if 'loss' in k)
