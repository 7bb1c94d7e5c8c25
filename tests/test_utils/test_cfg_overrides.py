# Copyright (c) distillbev contributors. All rights reserved.
"""Schedule and image-size ``--cfg-options`` (the demo's scale), on hand-made and shipped
configs."""
import os.path as osp

import pytest
from mmengine.config import Config

from distillbev.utils.cfg_overrides import image_size_options, scale_options, schedule_options

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_iteration_schedule_scales_warm_up_and_runs_cosine_to_the_end():
    cfg = Config(dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=180, val_interval=180),
                      param_scheduler=[
                          dict(type='LinearLR', by_epoch=False, begin=0, end=20),
                          dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=180)]))
    assert schedule_options(cfg, 80) == [
        'train_cfg.max_iters=80', 'train_cfg.val_interval=80', 'param_scheduler.0.begin=0',
        'param_scheduler.0.end=9', 'param_scheduler.1.begin=0', 'param_scheduler.1.end=80']


def test_epoch_schedule_keeps_iteration_warm_up_and_scales_milestones():
    cfg = Config(dict(train_cfg=dict(max_epochs=12), param_scheduler=[
        dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11]),
        dict(type='LinearLR', by_epoch=False, begin=0, end=50)]))
    assert schedule_options(cfg, 4) == [
        'train_cfg.max_epochs=4', 'param_scheduler.0.begin=0', 'param_scheduler.0.end=4',
        'param_scheduler.0.milestones=[3,4]']
    assert schedule_options(cfg, 1)[-1] == 'param_scheduler.0.milestones=[1]'


def test_one_cycle_phases_stay_contiguous_with_t_max_spanning_each():
    # the teacher's cyclic schedule: cosine up over epochs [0, 3), down over [3, 8)
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/centerpoint/'
        'centerpoint_pillar04_second_secfpn_1xb4-cyclic-8e_synthetic-nus-bench-3d.py'))
    opts = dict(o.split('=') for o in schedule_options(cfg, 3))
    assert opts['train_cfg.max_epochs'] == '3'
    for up, down in ((0, 1), (2, 3)):  # lr and momentum schedulers
        assert (opts[f'param_scheduler.{up}.begin'], opts[f'param_scheduler.{up}.end'],
                opts[f'param_scheduler.{up}.T_max']) == ('0', '1', '1')
        assert (opts[f'param_scheduler.{down}.begin'], opts[f'param_scheduler.{down}.end'],
                opts[f'param_scheduler.{down}.T_max']) == ('1', '3', '2')
    with pytest.raises(ValueError, match='>= 1'):
        schedule_options(cfg, 0)


def test_image_size_reaches_every_camera_pipeline_and_no_lidar_one():
    kd = Config.fromfile(osp.join(
        ROOT, 'configs/cmkd/cmkd_bevdepth-r18_centerpoint-pillar04_1xb4-15min_synthetic-nus-'
        'bench-3d.py'))
    opts = image_size_options(kd, (64, 176))
    assert len(opts) == 3  # train (LiDAR + images), val, test
    for opt in opts:
        key, value = opt.split('=')
        assert value == '(64,176)'
        loader, _, _, index, field = key.split('.')
        assert kd[loader].dataset.pipeline[int(index)].type == 'MultiViewImageAffineAug'
        assert field == 'final_size'
    merged = kd.copy()
    merged.merge_from_dict({o.split('=')[0]: (64, 176) for o in opts})
    assert merged.train_dataloader.dataset.pipeline[4].final_size == (64, 176)
    # through a dataset wrapper (TemporalFrames)
    temporal = Config.fromfile(osp.join(
        ROOT, 'configs/students/bevdepth4d_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py'))
    assert any(o.startswith('train_dataloader.dataset.dataset.pipeline.')
               for o in image_size_options(temporal, (64, 176)))
    teacher = Config.fromfile(osp.join(
        ROOT, 'configs/centerpoint/'
        'centerpoint_pillar04_second_secfpn_1xb4-cyclic-8e_synthetic-nus-bench-3d.py'))
    assert image_size_options(teacher, (64, 176)) == []


def test_scale_options_of_a_config_file():
    path = osp.join(ROOT, 'configs/pretrain/'
                    'r18-fpn_depth-pretrain_1xb4-10min_synthetic-nus-bench.py')
    assert scale_options(path) == []
    assert scale_options(path, 150, (64, 176)) == [
        'train_cfg.max_iters=150', 'param_scheduler.0.begin=0', 'param_scheduler.0.end=11',
        'param_scheduler.1.begin=0', 'param_scheduler.1.end=150',
        'train_dataloader.dataset.pipeline.2.final_size=(64,176)']
