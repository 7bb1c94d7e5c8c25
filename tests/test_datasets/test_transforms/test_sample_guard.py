# Copyright (c) distillbev contributors. All rights reserved.
"""Bad data (issue 15 item 5) through the stock NuScenesDataset on a generated set: a missing
camera image, a truncated ``.pcd.bin``, a sample with no LiDAR point in range, a sample with no
box in range. Each one either stops with the file and the sample named, or is skipped with a
warning, as configured; it never reaches training as garbage."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from distillbev.datasets.transforms.sample_guard import BadSampleError

BASE = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'datasets',
                'synthetic-nus-3d.py')
PCR = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]


@pytest.fixture()
def root(synthetic_nus, synthetic_nus_infos, tmp_path):
    """A private copy of the generated set (the tests break its files)."""
    src, _ = synthetic_nus
    dst = str(tmp_path / 'nus')
    shutil.copytree(src, dst)
    return dst


def dataset(root, on_bad='raise', min_boxes=0, test_mode=False):
    from mmdet3d.registry import DATASETS
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(BASE).train_dataloader.dataset
    loading = [dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5),
               dict(type='LoadPointsFromMultiSweeps', sweeps_num=2, use_dim=[0, 1, 2, 3, 4],
                    pad_empty_sweeps=True, remove_close=True),
               dict(type='LoadMultiViewImagesWithCalib', num_views=6),
               dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True)]
    cfg.update(data_root=root, test_mode=test_mode, pipeline=[dict(
        type='BadSampleGuard', transforms=loading, on_bad=on_bad, point_cloud_range=PCR,
        min_boxes_in_range=min_boxes), dict(
            type='PackMultiViewDet3DInputs',
            keys=['img', 'points', 'gt_bboxes_3d', 'gt_labels_3d'])])
    cfg.pop('indices', None)
    ds = DATASETS.build(cfg)
    ds.max_refetch = 20
    return ds


def test_good_samples_load_unchanged(root):
    ds = dataset(root)
    out = ds[0]
    assert out['inputs']['points'].shape[1] == 5 and out['inputs']['img'].shape[0] == 6
    assert len(out['data_samples'].gt_instances_3d) == len(
        ds.get_data_info(0)['ann_info']['gt_bboxes_3d'])


def test_missing_camera_image(root):
    ds = dataset(root)
    info = ds.get_data_info(1)
    image = info['images']['CAM_BACK']['img_path']
    os.remove(image)
    with pytest.raises(BadSampleError) as e:
        ds[1]
    msg = str(e.value)
    assert f"sample {info['sample_idx']} (token {info['token']})" in msg
    assert f'camera image {image} is missing' in msg and "on_bad='skip'" in msg


def test_truncated_pcd_bin(root):
    ds = dataset(root)
    info = ds.get_data_info(0)
    path = info['lidar_points']['lidar_path']
    size = os.path.getsize(path)
    with open(path, 'r+b') as f:
        f.truncate(size - 6)
    with pytest.raises(BadSampleError) as e:
        ds[0]
    assert f'LiDAR file {path} is truncated: {size - 6} bytes' in str(e.value)
    assert f"sample {info['sample_idx']}" in str(e.value)


def test_no_lidar_point_in_range(root):
    ds = dataset(root)
    info = ds.get_data_info(2)
    for path in [info['lidar_points']['lidar_path']] + [
            s['lidar_points']['lidar_path'] for s in info.get('lidar_sweeps', [])]:
        pts = np.fromfile(path, dtype=np.float32).reshape(-1, 5)
        pts[:, 0] += 1000.0  # the key frame and every sweep, far out of range
        pts.tofile(path)
    with pytest.raises(BadSampleError, match=r'0 LiDAR point\(s\) of .* in point_cloud_range'):
        ds[2]


def test_no_box_in_range_when_boxes_are_required(root):
    ds = dataset(root, min_boxes=1000)  # no generated sample has that many: every one is bad
    with pytest.raises(BadSampleError, match=r'ground-truth box\(es\) in point_cloud_range'):
        ds[0]


def test_skip_mode_warns_and_trains_on_another_sample(root, caplog):
    ds = dataset(root, on_bad='skip')
    info = ds.get_data_info(1)
    os.remove(info['images']['CAM_FRONT']['img_path'])
    logger = MMLogger.get_current_instance()
    messages = []
    handler = type('H', (__import__('logging').Handler, ), dict(
        emit=lambda self, record: messages.append(record.getMessage())))()
    logger.addHandler(handler)
    try:
        out = ds[1]
    finally:
        logger.removeHandler(handler)
    assert out is not None and out['data_samples'].sample_idx != info['sample_idx']
    assert any(m.startswith(f"skipped bad sample {info['sample_idx']}") for m in messages)
    # in test mode a skipped sample is never silently dropped: the dataset raises
    with pytest.raises(Exception, match='should not get `None`'):
        dataset(root, on_bad='skip', test_mode=True)[1]
