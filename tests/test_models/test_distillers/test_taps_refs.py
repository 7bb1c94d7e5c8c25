# Copyright (c) distillbev contributors. All rights reserved.
"""Taps (forward hooks) and string references, on tiny pure-torch modules."""
import pytest
import torch
from torch import nn

from distillbev.models.distillers.refs import (DistillerConfigError, batch_data, follow_path,
                                               parse_ref)
from distillbev.models.distillers.taps import TapRecorder, TapsComplete


class _Head(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 1)

    def forward(self, x):
        return ([dict(heatmap=self.conv(x), reg=x[:, :1])],)


class _Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU())
        self.head = _Head()

    def forward(self, x):
        feats = self.backbone(x)
        out = self.head(feats)
        out[0][0]['heatmap'].sigmoid_()  # what CenterHead.loss_by_feat does
        out[0][0]['heatmap'] = 'replaced'
        return out


def test_parse_and_follow():
    assert parse_ref('student.heads.*.0.heatmap') == ('student', 'heads', ['*', '0', 'heatmap'])
    value = ([dict(heatmap=1, reg=2), dict(heatmap=3, reg=4)],)
    assert follow_path(value, ['0', '*', 'heatmap']) == [1, 3]
    assert follow_path(value, ['0', '1', 'reg']) == 4
    assert follow_path(torch.zeros(2, 3, 4, 5), ['hw']) == (4, 5)
    with pytest.raises(KeyError, match='no key'):
        follow_path(value, ['0', '0', 'vel'], 'student.heads.0.0.vel')
    with pytest.raises(DistillerConfigError, match='unknown namespace'):
        parse_ref('stud.bev')
    with pytest.raises(DistillerConfigError, match='bad reference'):
        parse_ref('bev')


def test_batch_data_namespace():
    from mmengine.structures import InstanceData

    from mmdet3d.structures import Det3DDataSample
    s = Det3DDataSample(metainfo=dict(sample_idx=7))
    s.gt_instances_3d = InstanceData(labels_3d=torch.tensor([1, 2]))
    data = batch_data(dict(points=[torch.zeros(1, 5)]), [s])
    assert data['metas'][0]['sample_idx'] == 7
    assert torch.equal(data['gt_labels_3d'][0], torch.tensor([1, 2]))
    assert data['gt_bboxes'] == [None]


def test_recorder_snapshots_logits_and_keeps_gradients():
    torch.manual_seed(0)
    net = _Net()
    rec = TapRecorder(net, dict(feat=dict(module='backbone'), heads='head',
                                hm=dict(module='head.conv')), 'student')
    x = torch.randn(1, 1, 3, 3)
    with rec:
        net(x)
    vals = dict(heads=rec.taps['heads'].value())
    logits = net.head.conv(net.backbone(x))
    assert torch.allclose(vals['heads'][0][0]['heatmap'], logits)  # not sigmoided, not replaced
    assert vals['heads'][0][0]['heatmap'].requires_grad
    vals['heads'][0][0]['heatmap'].sum().backward()
    assert net.head.conv.weight.grad is not None
    # the plain tensor tap was not cloned and saw the in-place sigmoid: detected, not silent
    with pytest.raises(RuntimeError, match='modified in place'):
        rec.taps['hm'].value()


def test_recorder_only_records_inside_context_and_early_exit():
    net = _Net()
    rec = TapRecorder(net, dict(feat=dict(module='backbone')), 'teacher', early_exit=True)
    net(torch.randn(1, 1, 2, 2))
    assert not rec.taps['feat'].records
    calls = []
    net.head.register_forward_hook(lambda *a: calls.append(1))
    with pytest.raises(TapsComplete), rec:
        net(torch.randn(1, 1, 2, 2))
    assert not calls and rec.values()['feat'].shape == (1, 2, 2, 2)
    with pytest.raises(DistillerConfigError, match="teacher tap.*'feat' .backbone. did not run"):
        with rec:
            pass
        rec.values()


def test_recorder_bad_path_and_keys():
    with pytest.raises(DistillerConfigError, match="Close names: \\['backbone'"):
        TapRecorder(_Net(), dict(x='backbon'), 'student')
    with pytest.raises(DistillerConfigError, match='unknown keys'):
        TapRecorder(_Net(), dict(x=dict(module='backbone', idx=0)), 'student')
