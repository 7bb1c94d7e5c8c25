# Copyright (c) distillbev contributors. All rights reserved.
"""The distillation plan: the student head's BEV grid handed to KD targets, per-level shapes
from the taps (lists of references), pruning and build errors."""
import pytest
import torch
from distill_tiny_models import PCR, batch, build, distiller_cfg, student_cfg

from distillbev.models.distillers import DistillerConfigError
from distillbev.structures import BEVGrid


def _fg_cfg(**kwargs):
    return distiller_cfg(
        kd_targets=dict(fg=dict(type='BEVBoxMask', mode='binary', scale='none', **kwargs)),
        distill_losses=dict(loss_bev=dict(
            type='_TestFeatureMSELoss',
            inputs=dict(s_feat='student.neck', t_feat='teacher.neck', mask='target.fg.mask'))))


def test_student_head_grid_goes_to_targets_without_one():
    model = build(_fg_cfg())
    grid = model.kd_targets['fg'].grid
    # the tiny student's head: +-6.4 m, 0.2 m voxels * out_size_factor 4 = 0.8 m, 16 x 16
    assert grid.same_cells(model.plan.grid) and grid.shape == (16, 16)
    assert grid.same_cells(BEVGrid(PCR, cell_size=0.8))
    model.train()
    model(**model.data_preprocessor(batch(), True), mode='loss')
    mask = model.distill_losses['loss_bev'].last['mask']
    assert mask.shape == (2, 1, 16, 16) and mask.sum() > 0
    # an explicit grid is kept (standalone use, or another grid on purpose)
    explicit = dict(point_cloud_range=PCR, cell_size=0.4)
    assert build(_fg_cfg(grid=explicit)).kd_targets['fg'].grid.shape == (32, 32)


def test_target_needing_a_grid_when_the_student_head_states_none():
    student = student_cfg()
    student.train_cfg.pts.pop('point_cloud_range')  # the coder's pc_range alone has no extent
    student.train_cfg.pts.pop('grid_size')
    with pytest.raises(DistillerConfigError) as e:
        build(_fg_cfg() | dict(student=student, grid_check='off'))
    msg = str(e.value)
    assert "KD target 'fg' (BEVBoxMask) needs a BEV grid" in msg and 'grid=dict(' in msg


def test_per_level_shapes_from_tap_references():
    cfg = distiller_cfg(
        kd_targets=dict(fg=dict(type='BEVBoxMask', mode='binary', scale='none',
                                inputs=dict(shape=['teacher.bev.hw', 'teacher.neck.hw']))),
        distill_losses=dict(
            loss_bev=dict(type='_TestFeatureMSELoss',
                          inputs=dict(s_feat='student.bev', t_feat='teacher.bev',
                                      mask='target.fg.mask.0')),
            loss_neck=dict(type='_TestFeatureMSELoss',
                           inputs=dict(s_feat='student.neck', t_feat='teacher.neck',
                                       mask='target.fg.mask.1'))))
    model = build(cfg)
    model.train()
    model(**model.data_preprocessor(batch(), True), mode='loss')
    assert model.distill_losses['loss_bev'].last['mask'].shape == (2, 1, 64, 64)
    assert model.distill_losses['loss_neck'].last['mask'].shape == (2, 1, 16, 16)
    # each reference of a list is validated at build time
    cfg['kd_targets']['fg']['inputs'] = dict(shape=['teacher.bev.hw', 'teacher.nek.hw'])
    with pytest.raises(DistillerConfigError, match="reference 'teacher.nek.hw' names no"):
        build(cfg)


def test_plan_prunes_unused_adapters_and_targets():
    cfg = distiller_cfg(distill_losses=dict(loss_bev=dict(
        type='_TestFeatureMSELoss', inputs=dict(s_feat='student.bev', t_feat='teacher.bev'))))
    model = build(cfg)
    assert model.plan.used_adapters == ['bev'] and model.plan.used_targets == []
    # not kept: parameters that never receive a gradient would stop DDP
    keys = set(model.state_dict())
    assert 'adapters.bev.conv.weight' in keys and not any(
        k.startswith(('adapters.neck', 'kd_targets.')) for k in keys)
    assert list(model.adapters) == ['bev'] and len(model.kd_targets) == 0
    model.train()
    losses = model(**model.data_preprocessor(batch(), True), mode='loss')
    assert torch.isfinite(losses['distill.loss_bev'])


def test_targets_run_after_the_targets_they_read_whatever_the_key_order():
    # mmengine's Config.dump (the config copy in every work dir) sorts keys: 'a' reads 'b' and
    # comes first
    centre = dict(type='_TestCenterMask', point_cloud_range=PCR, cell=0.8)
    cfg = distiller_cfg(kd_targets=dict(
        a=dict(centre, inputs=dict(like='target.b.mask')),
        b=dict(centre, inputs=dict(like='teacher.neck'))))
    cfg['distill_losses']['loss_neck']['inputs']['mask'] = 'target.a.mask'
    model = build(cfg)
    assert list(model.plan.kd_targets) == ['b', 'a']
    model.train()
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['distill.loss_neck'])
    # a cycle is still reported by name
    cyc = distiller_cfg(kd_targets=dict(
        a=dict(centre, inputs=dict(like='target.b.mask')),
        b=dict(centre, inputs=dict(like='target.a.mask'))))
    with pytest.raises(DistillerConfigError, match="names no target entry"):
        build(cyc)
