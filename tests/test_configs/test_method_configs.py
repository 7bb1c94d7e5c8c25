# Copyright (c) distillbev contributors. All rights reserved.
"""Every distillation config (CMKD, UniDistill, DistillBEV; nuScenes scale and generated data)
builds through the registry and runs one training step: the taps it names exist, the tensors it
pairs align (the distiller checks grids at every step), and every KD loss is finite and sends
gradients into the student."""
import copy
import fnmatch
import glob
import os.path as osp
import re

import numpy as np
import pytest
import torch
from helpers.multiview import multiview_sample, queue_can_bus
from mmengine.config import Config
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from mmdet3d.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', '*', '*.py')))
# the nuScenes-layout (multi-view) configs; CMKD's KITTI form: test_cmkd_kitti_configs.py
METHOD_CONFIGS = [c for c in CONFIGS
                  if osp.basename(osp.dirname(c)) in ('cmkd', 'unidistill', 'distillbev',
                                                      'cmkd_unidistill')
                  and 'kitti' not in osp.basename(c)]
# with the monocular KITTI methods (their one-step test: tests/test_configs/test_mono_kd_configs.py)
KD_CONFIGS = METHOD_CONFIGS + [c for c in CONFIGS
                               if osp.basename(osp.dirname(c)) in ('monodistill', 'monommkd')]


def test_each_method_has_nuscenes_and_synthetic_configs():
    for method in ('cmkd', 'unidistill', 'distillbev'):
        names = [osp.basename(c) for c in METHOD_CONFIGS if f'/{method}/' in c]
        assert any(n.endswith('_nus-3d.py') for n in names), method
        assert any(n.endswith('_synthetic-nus-3d.py') for n in names), method


@pytest.mark.parametrize('method,keys,prefix,which,least', [
    ('cmkd', ('distill_losses', 'inherit_from_teacher'), 'cmkd', '', 4),
    ('unidistill', ('kd_targets', 'distill_losses'), 'unidistill', '', 4),
    # the small BEVDet / BEVDepth(4D) students with the 0.4 m pillar teacher
    ('distillbev', ('kd_targets', 'distill_losses'), 'distillbev_pillar04', 'bevd*pillar04', 4),
    # the R50 BEVDepth(4D) students with the 0.2 m pillar teacher (other levels)
    ('distillbev', ('kd_targets', 'distill_losses'), 'distillbev_pillar02', 'bevd*pillar02', 2),
    # the BEVFormer students (one level, the BEVFormer weights), generated data and nuScenes
    ('distillbev', ('teacher_taps', 'kd_targets', 'distill_losses'), 'distillbev_bevformer',
     'bevformer', 2),
    # MonoDLE students (KITTI, generated data) and the depth-image MonoDLE teacher
    ('monodistill', ('student_taps', 'teacher_taps', 'adapters', 'kd_targets', 'distill_losses'),
     'monodistill', '_monodle-dla34_', 2),
    # the SMOKE student: the feature-level part of the same statement
    ('monodistill', ('teacher_taps', 'kd_targets', 'distill_losses'), 'monodistill_feature',
     '_smoke-dla34_', 1),
    ('monommkd', ('student_taps', 'teacher_taps', 'adapters', 'kd_targets', 'distill_losses'),
     'monommkd', '_monodle-dla34_', 2)])
def test_a_method_states_its_losses_once(method, keys, prefix, which, least):
    """Every config of a method (nuScenes, generated data, benchmark, tuned) resolves to the
    losses of ``configs/_base_/kd/<method>.py``; tuned rows differ only by distill_weight or, in
    a config named for it (``_<loss>0.2_``, e.g. ``_dualkl0.2_``), by that one term's
    loss_weight, or (``_carobj_``) by the object-feature boxes kept to Cars, or (``_resp_``) by
    MonoDistill's response term added as stated in its base. ``which``: an
    fnmatch pattern of the student / teacher part of the config names."""
    base = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'kd', f'{method}.py'))
    paths = [c for c in KD_CONFIGS if f'/{method}/' in c
             and fnmatch.fnmatch(osp.basename(c), f'*{which}*')]
    assert len(paths) >= least
    for path in paths:
        model = Config.fromfile(path).model
        for key in keys:
            expect = base[f'{prefix}_{key}']
            if key == 'distill_losses':
                expect = _with_named_term_weight(expect, osp.basename(path))
            if key == 'kd_targets' and '_carobj_' in osp.basename(path):
                expect = copy.deepcopy(expect)
                expect.box['class_ids'] = [2]  # Car of ('Pedestrian', 'Cyclist', 'Car')
            if '_resp_' in osp.basename(path):
                expect = _with_response_term(expect, key)
            assert model[key] == expect, (path, key)


@pytest.mark.parametrize('name,unidistill_scale', [('', 1.0), ('_unikdw0.1', 0.1)])
def test_combination_states_cmkd_and_unidistill_feature_terms(name, unidistill_scale):
    """The combination rows: CMKD's three terms and head inheritance as in CMKD's base, UniDistill's
    two feature terms as in UniDistill's base (the tuned row: both weights x0.1, nothing else),
    UniDistill's response terms left out."""
    kd = osp.join(ROOT, 'configs', '_base_', 'kd')
    cmkd = Config.fromfile(osp.join(kd, 'cmkd.py'))
    uni = Config.fromfile(osp.join(kd, 'unidistill.py')).unidistill_distill_losses
    model = Config.fromfile(osp.join(
        ROOT, 'configs', 'cmkd_unidistill', 'cmkd-unidistill_bevdepth-r18_centerpoint-pillar04'
        f'{name}_1xb4-15min_synthetic-nus-bench-3d.py')).model
    expected = dict(cmkd.cmkd_distill_losses)
    expected['loss_kpt_feature'] = dict(uni.loss_feature,
                                        loss_weight=100.0 * unidistill_scale)
    expected['loss_kpt_relation'] = dict(uni.loss_relation, loss_weight=40.0 * unidistill_scale)
    assert model.distill_losses == expected
    assert model.inherit_from_teacher == cmkd.cmkd_inherit_from_teacher
    assert 'distill_weight' not in model


def _with_response_term(expect, key: str):
    """``_resp_`` (MonoMMKD + MonoSKD's head response KD): the base's statement with MonoDistill's
    response term, its window target and the teacher's head tap added, each as stated once in
    ``configs/_base_/kd/monodistill.py``."""
    md = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'kd', 'monodistill.py'))
    expect = copy.deepcopy(expect)
    if key == 'teacher_taps':
        return md.monodistill_teacher_taps
    if key == 'kd_targets':
        expect['window'] = md.monodistill_window_target
    if key == 'distill_losses':
        expect['loss_resp'] = md.monodistill_loss_resp
    return expect


def _with_named_term_weight(losses, name: str):
    """The base losses with the one term a tuned config's name scales (``..._dualkl0.2_...``
    sets ``loss_dualkl.loss_weight=0.2``); unchanged for any other name."""
    losses = copy.deepcopy(losses)  # not Config(...): it shares the nested dicts
    for term, cfg in losses.items():
        tag = term[len('loss_'):].replace('_', '')
        found = re.search(rf'_{tag}(\d+(?:\.\d+)?)_', name)
        if found:
            cfg['loss_weight'] = float(found.group(1))
    return losses


def temporal_inputs(sample, imgs, num_prev: int) -> dict:
    """What TemporalFrames gives a temporal student (BEVDepth4D, BEVFormer's queue): the previous
    frames' images (``prev_imgs``) and, in the sample's metainfo, their cameras, the current ->
    previous maps (here a 1 m shift per frame), ``prev_is_current`` and every frame's CAN-bus
    deltas (``can_bus``, which BEVFormer's queries read)."""
    if not num_prev:
        return {}
    curr2prev = [np.eye(4, dtype=np.float32) for _ in range(num_prev)]
    for k, m in enumerate(curr2prev):
        m[0, 3] = 1.0 + k
    can_bus = queue_can_bus(num_prev)
    sample.set_metainfo(dict(can_bus=can_bus[0],
                             prev_frames=[dict(sample.metainfo, can_bus=c) for c in can_bus[1:]],
                             curr2prev=curr2prev, prev_is_current=[False] * num_prev))
    return dict(prev_imgs=[torch.randn(1, *imgs.shape) for _ in range(num_prev)])


@pytest.mark.parametrize('path', METHOD_CONFIGS, ids=osp.basename)
def test_method_config_trains_one_step(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['distillbev']
    model_cfg = cfg.model
    model_cfg.teacher_ckpt = None
    model_cfg.allow_random_teacher = True
    model_cfg.student.img_backbone.init_cfg = None
    # benchmark students: depth pre-training weights (image encoder, BEVDepth depth net)
    model_cfg.student.img_neck.init_cfg = None
    if 'init_cfg' in model_cfg.student.get('img_view_transformer', {}):
        model_cfg.student.img_view_transformer.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        model.init_weights()
        model.train()
        depth = isinstance(model.student, MODELS.get('BEVDepth'))  # BEVDepth4D too
        inputs, sample = multiview_sample(with_depth=depth)
        batch = dict(imgs=inputs['imgs'][None], points=[inputs['points']])
        num_prev = getattr(model.student, 'num_prev', 0)  # BEVDepth4D, BEVFormer
        batch.update(temporal_inputs(sample, inputs['imgs'], num_prev))
        losses = model.loss(batch, [sample])
    distill = {k: v for k, v in losses.items() if k.startswith('distill.')}
    expected = {f'distill.{name}' for name in model_cfg.distill_losses}
    assert set(distill) == expected
    for key, value in distill.items():
        assert torch.isfinite(value) and value.dim() == 0, key
    total, _ = model.parse_losses(losses)
    total.backward()
    # (frozen stem in the benchmark students; zero-initialised residual BNs: not every
    # trainable tensor gets a gradient on the first step)
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.student.img_backbone.parameters())
    for name, adapter in model.adapters.items():
        assert any(p.grad is not None for p in adapter.parameters()), name


# The grids these configs stated by hand before the distiller derived them from the student's head
# (bev_grid=dict(point_cloud_range=..., cell_size=0.8) and DistillBEV's level_shapes).
STATED_GRIDS = {'synthetic-nus-3d': ([-25.6, -25.6, 25.6, 25.6], 0.8, (64, 64)),
                'nus-3d': ([-51.2, -51.2, 51.2, 51.2], 0.8, (128, 128))}
STATED_LEVEL_SHAPES = {'synthetic-nus-3d': [(64, 64), (32, 32), (64, 64)],
                       'nus-3d': [(128, 128), (64, 64), (128, 128)]}


def _dataset(path):
    return 'synthetic-nus-3d' if '_synthetic-nus' in osp.basename(path) else 'nus-3d'


@pytest.mark.parametrize('path', METHOD_CONFIGS, ids=osp.basename)
def test_student_head_grid_is_the_grid_configs_used_to_state(path):
    from distillbev.structures import BEVGrid
    cfg = Config.fromfile(path)
    assert 'bev_grid' not in cfg and 'level_shapes' not in cfg
    cfg.model.student.img_backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        student = MODELS.build(cfg.model.student)
    grid = BEVGrid.from_detector(student)
    if hasattr(student, 'bev_encoder'):  # BEVFormer: its BEV (no grid was ever stated by hand)
        assert grid.same_cells(student.bev_encoder.grid)
    else:
        rng, cell, shape = STATED_GRIDS[_dataset(path)]
        assert grid.same_cells(BEVGrid(rng, cell_size=cell)) and grid.shape == shape
    for target in (cfg.model.get('kd_targets') or {}).values():
        assert 'grid' not in target and 'out_shapes' not in target


def test_distillbev_level_shapes_follow_the_teacher_taps():
    path = next(c for c in METHOD_CONFIGS if c.endswith(
        'distillbev_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py'))
    cfg = Config.fromfile(path)
    cfg.model.update(teacher_ckpt=None, allow_random_teacher=True)
    cfg.model.student.img_backbone.init_cfg = None
    shapes = []
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        model = MODELS.build(cfg.model)
        model.kd_targets['fg'].register_forward_hook(
            lambda m, a, out: shapes.extend(tuple(t.shape[-2:]) for t in out['mask']))
        model.train()
        inputs, sample = multiview_sample()
        model.loss(dict(imgs=inputs['imgs'][None], points=[inputs['points']]), [sample])
    assert shapes == STATED_LEVEL_SHAPES['synthetic-nus-3d']
