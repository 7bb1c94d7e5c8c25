# Copyright (c) distillbev contributors. All rights reserved.
"""Each registered teacher runner on tiny pure-torch detectors, and the legacy name mapping."""
import pytest
import torch
from distill_tiny_models import batch, build, distiller_cfg, use_mmdet3d_scope
from torch import nn

from distillbev.models.distillers import DistillerConfigError, TapRecorder
from distillbev.models.distillers.teacher_runners import (TeacherDepthImageRunner,
                                                          TeacherFeatureHeadRunner,
                                                          TeacherFeatureRunner,
                                                          TeacherTensorRunner,
                                                          build_teacher_runner,
                                                          legacy_runner_cfg)


class _Sample:
    metainfo = dict(sample_idx=3)


class _Voxelizer(nn.Module):
    """A data preprocessor that voxelizes: each point cloud -> its sum (records the calls)."""

    voxel = True

    def __init__(self):
        super().__init__()
        self.calls = 0

    def voxelize(self, points, data_samples):
        self.calls += 1
        return torch.stack([p.sum(0) for p in points])


class _Detector(nn.Module):
    """extract_feat: 2x the input (voxels if present, else points/imgs); head: +1; records how
    extract_feat was called. ``mvx`` makes extract_feat return (img_feats, pts_feats)."""

    def __init__(self, mvx=False, head='pts_bbox_head'):
        super().__init__()
        self.backbone, self.mvx = nn.Identity(), mvx
        setattr(self, head, nn.Identity())
        self.head_name = head
        self.data_preprocessor = _Voxelizer()
        self.seen = {}

    def extract_feat(self, inputs, metas=None):
        self.seen = dict(keys=sorted(inputs), metas=metas)
        x = inputs.get('voxels', inputs.get('imgs'))
        if x is None:
            x = torch.stack(inputs['points'])
        feats = self.backbone(2 * x)
        return (None, feats) if self.mvx else feats

    def _forward(self, inputs, samples):
        return getattr(self, self.head_name)(self.extract_feat(inputs) + 1)


def _run(runner, det, taps, inputs, early_exit=False):
    rec = TapRecorder(det, taps, 'teacher', early_exit=early_exit)
    runner.check(det, rec)
    return runner(det, rec, inputs, [_Sample()])


def test_feature_runner_with_and_without_metas_and_voxelisation():
    det = _Detector()
    pts = dict(points=[torch.ones(2, 3), 2 * torch.ones(2, 3)])
    out = _run(TeacherFeatureRunner(), det, dict(f='backbone'), pts)
    # 'auto' voxelised with the teacher's own preprocessor: sums (2, 2, 2), (4, 4, 4), times 2
    assert det.data_preprocessor.calls == 1 and det.seen['keys'] == ['points', 'voxels']
    torch.testing.assert_close(out['f'], torch.tensor([[4.0] * 3, [8.0] * 3]))
    assert det.seen['metas'] == [dict(sample_idx=3)]
    out = _run(TeacherFeatureRunner(voxelize=False, with_metas=False), det, dict(f='backbone'),
               pts)
    assert det.data_preprocessor.calls == 1 and det.seen == dict(keys=['points'], metas=None)
    torch.testing.assert_close(out['f'][1], torch.full((2, 3), 4.0))
    # voxels mapped from the batch are reused, not recomputed
    _run(TeacherFeatureRunner(inputs=dict(points='points', voxels='v')), det,
         dict(f='backbone'), dict(points=pts['points'], v=torch.zeros(2, 3)))
    assert det.data_preprocessor.calls == 1
    with pytest.raises(KeyError, match="maps 'points' to batch input 'lidar'"):
        _run(TeacherFeatureRunner(inputs=dict(points='lidar')), det, dict(f='backbone'), pts)
    with pytest.raises(DistillerConfigError, match='voxelize must be'):
        TeacherFeatureRunner(voxelize='yes')


def test_head_runner_selects_mvx_point_features_and_head():
    det = _Detector(mvx=True)
    x = dict(voxels=torch.ones(1, 2))
    runner = TeacherFeatureHeadRunner(feature_index=1, inputs=dict(voxels='voxels'))
    out = _run(runner, det, dict(h='pts_bbox_head'), x)
    assert runner.head == 'pts_bbox_head'  # 'auto' resolved at check time
    torch.testing.assert_close(out['h'], torch.full((1, 2), 2.0))
    with pytest.raises(DistillerConfigError, match="no head 'img_bbox_head'"):
        _run(TeacherFeatureHeadRunner(head='img_bbox_head', inputs=dict(voxels='voxels')), det,
             dict(h='pts_bbox_head'), x)


def test_tensor_runner_and_early_exit_inside_the_runner():
    det = _Detector(head='bbox_head')
    calls = []
    det.bbox_head.register_forward_hook(lambda *a: calls.append(1))
    x = dict(voxels=torch.ones(1, 2))
    out = _run(TeacherTensorRunner(inputs=dict(voxels='voxels')), det, dict(h='bbox_head'), x)
    torch.testing.assert_close(out['h'], torch.full((1, 2), 3.0))
    # a backbone-only tap stops the forward before the head (TapsComplete is caught inside)
    out = _run(TeacherTensorRunner(inputs=dict(voxels='voxels')), det, dict(f='backbone'), x,
               early_exit=True)
    assert len(calls) == 1 and out['f'].shape == (1, 2)


def test_depth_image_runner_maps_depth_images_and_checks_them():
    det = _Detector(head='bbox_head')
    imgs = torch.rand(2, 1, 4, 6)
    runner = TeacherDepthImageRunner(head='bbox_head')
    out = _run(runner, det, dict(f='backbone', h='bbox_head'), dict(depth_imgs=imgs, imgs=None))
    assert det.seen == dict(keys=['imgs'], metas=None) and det.data_preprocessor.calls == 0
    torch.testing.assert_close(out['h'], 2 * imgs)
    assert runner.name == 'depth_image'
    with pytest.raises(ValueError, match=r'must be an image tensor \(B, C, H, W\)'):
        _run(TeacherDepthImageRunner(), det, dict(f='backbone'),
             dict(depth_imgs=[torch.zeros(3)]))
    with pytest.raises(DistillerConfigError, match='voxelize must be'):
        _run(TeacherDepthImageRunner(voxelize=True), det, dict(f='backbone'),
             dict(depth_imgs=imgs))


def test_legacy_names_map_onto_runners():
    mvx, single = _Detector(mvx=True), _Detector(head='bbox_head')
    mvx.extract_pts_feat = lambda *a: None  # the MVX two-stage API marker
    rec = TapRecorder(mvx, dict(f='backbone'), 'teacher')
    assert legacy_runner_cfg('auto', mvx, rec) == dict(
        type='TeacherFeatureRunner', with_metas=True, feature_index=1)
    rec = TapRecorder(mvx, dict(h='pts_bbox_head'), 'teacher')
    assert legacy_runner_cfg('auto', mvx, rec) == dict(
        type='TeacherFeatureHeadRunner', with_metas=True, feature_index=1, head='pts_bbox_head')
    rec = TapRecorder(single, dict(h='bbox_head'), 'teacher')
    assert legacy_runner_cfg('extract_feat+head', single, rec) == dict(
        type='TeacherFeatureHeadRunner', with_metas=False, feature_index=None, head='bbox_head')
    assert legacy_runner_cfg('tensor', single, rec) == dict(type='TeacherTensorRunner')
    with pytest.raises(DistillerConfigError, match="teacher_forward must be 'auto'"):
        legacy_runner_cfg('head', single, rec)
    use_mmdet3d_scope()
    runner = build_teacher_runner(None, single, rec, 'auto', inputs=dict(imgs='imgs'),
                                  fp32=False)
    assert isinstance(runner, TeacherFeatureHeadRunner)
    assert runner.inputs == dict(imgs='imgs') and runner.fp32 is False


def test_distiller_with_named_runner_equals_legacy_auto():
    data_cfg = dict(teacher_runner=dict(type='TeacherFeatureHeadRunner', feature_index=1))
    torch.manual_seed(0)
    named = build(distiller_cfg(**data_cfg))
    torch.manual_seed(0)
    legacy = build(distiller_cfg())
    assert named.teacher_forward == legacy.teacher_forward == 'extract_feat+head'
    assert type(named.teacher_runner) is type(legacy.teacher_runner)
    named.train()
    legacy.train()
    data = named.data_preprocessor(batch(), True)
    a = named.teacher_runner(named.teacher, named.teacher_recorder, data['inputs'],
                             data['data_samples'])
    b = legacy.teacher_runner(legacy.teacher, legacy.teacher_recorder, data['inputs'],
                              data['data_samples'])
    torch.testing.assert_close(a['neck'], b['neck'])
    torch.testing.assert_close(a['heads'][0][0]['heatmap'], b['heads'][0][0]['heatmap'])
    with pytest.raises(DistillerConfigError, match='not a registered TeacherRunner'):
        build(distiller_cfg(teacher_runner=dict(type='BEVGrid', point_cloud_range=[0, 0, 1, 1],
                                                cell_size=1.0)))
