# Copyright (c) distillbev contributors. All rights reserved.
"""tools/kd_diagnose.py: per dataset, the probed modules and the val split it evaluates on. The
probe itself is tested in tests/test_engine/test_hooks/test_kd_probe_hook.py."""
import importlib.util
from pathlib import Path

import pytest

from distillbev.evaluation.kd_summary import KITTI_METRIC_PREFIX


def _tool():
    spec = importlib.util.spec_from_file_location(
        'kd_diagnose', Path(__file__).parents[2] / 'tools' / 'kd_diagnose.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_default_modules_are_the_students_shared_layers_per_dataset():
    tool = _tool()
    assert tool.parse_args(['a.py']).modules == [
        'img_backbone', 'img_view_transformer', 'img_bev_encoder_backbone']
    assert tool.parse_args(['a.py', '--dataset', 'kitti']).modules == ['backbone', 'neck']
    # the CMKD mono-BEV student: its image branch and the BEV backbone it shares with the teacher
    assert tool.parse_args(['a.py', '--dataset', 'kitti_bev']).modules == [
        'img_backbone', 'img_view_transformer', 'backbone']
    assert tool.parse_args(['a.py', '--dataset', 'kitti', '--modules', 'neck']).modules == [
        'neck']
    with pytest.raises(SystemExit):
        tool.parse_args(['a.py', '--dataset', 'waymo'])


def test_val_options_point_at_the_benchmarks_val_infos():
    tool = _tool()
    kitti = tool.val_options('kitti')
    assert kitti == ['test_dataloader.dataset.data_root=data/synthetic-kitti-bench/',
                     'test_dataloader.dataset.ann_file=kitti_infos_val.pkl',
                     'test_evaluator.ann_file=data/synthetic-kitti-bench/kitti_infos_val.pkl']
    nus = tool.val_options('nus')
    assert 'test_evaluator.data_root=data/synthetic-nus-bench/' in nus
    assert 'test_dataloader.dataset.ann_file=nuscenes_infos_val.pkl' in nus


def test_val_summary_reads_the_stock_metrics():
    tool = _tool()
    nus = {'NuScenes metric/pred_instances_3d_NuScenes/mAP': 0.1751,
           'NuScenes metric/pred_instances_3d_NuScenes/NDS': 0.194}
    assert tool.val_summary(nus, 'nus') == 'mAP 0.175, NDS 0.194'
    kitti = {}
    for cls in ('Car', 'Pedestrian', 'Cyclist'):
        for kind in ('3D', 'BEV'):
            for iou in ('strict', 'loose'):
                kitti[f'{KITTI_METRIC_PREFIX}{cls}_{kind}_AP40_moderate_{iou}'] = 0.0
    kitti[f'{KITTI_METRIC_PREFIX}Car_3D_AP40_moderate_strict'] = 16.06
    kitti[f'{KITTI_METRIC_PREFIX}Car_BEV_AP40_moderate_strict'] = 20.6
    kitti[f'{KITTI_METRIC_PREFIX}Car_3D_AP40_moderate_loose'] = 52.7
    assert tool.val_summary(kitti, 'kitti') == (
        'Car 3D AP40 mod 16.06, Car BEV AP40 mod 20.60, Car 3D AP40 mod @0.5 52.70')
