# Copyright (c) distillbev contributors. All rights reserved.
"""LiDAR depth images of CAM2: the generated ``depth_2`` PNGs, and the same image built on the
fly from ``velodyne`` for a real KITTI download, through the stock KittiDataset; their
completion into dense maps."""
import os.path as osp
import shutil

import numpy as np
import pytest

from distillbev.datasets.transforms.depth_image import (LoadKittiDepthImage, complete_depth,
                                                        lidar_depth_image, read_depth_png,
                                                        write_depth_png)


def test_projection_nearest_point_and_png_round_trip(tmp_path):
    # camera looking along +x (lidar2img = K @ [axes]); two points on one pixel, one behind
    lidar2img = np.array([[50., -100., 0., 0.], [30., 0., -100., 0.], [1., 0., 0., 0.]])
    pts = np.array([[10., -0.3, 0.2], [20., -0.6, 0.4], [-5., 0., 0.]])
    depth = lidar_depth_image(pts, lidar2img, 60, 100)
    # u = (50 x - 100 y) / x = 50 + 100 * 0.03 = 53, v = (30 x - 100 z) / x = 30 - 2 = 28
    assert depth[28, 53] == pytest.approx(10.0)  # the nearer of the two
    assert (depth > 0).sum() == 1
    path = str(tmp_path / 'd.png')
    write_depth_png(path, depth)
    back = read_depth_png(path)
    assert back[28, 53] == pytest.approx(10.0, abs=1 / 256) and (back > 0).sum() == 1


def _dataset(root, pipeline):
    from mmdet3d.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet3d')
    return DATASETS.build(dict(
        type='KittiDataset', data_root=root, ann_file='kitti_infos_train.pkl',
        data_prefix=dict(pts='training/velodyne_reduced', img='training/image_2'),
        pipeline=pipeline, modality=dict(use_lidar=True, use_camera=True), test_mode=True,
        metainfo=dict(classes=['Pedestrian', 'Cyclist', 'Car'])))


def test_generated_depth_png_equals_the_on_the_fly_image(synthetic_kitti, synthetic_kitti_infos,
                                                         tmp_path):
    src, _ = synthetic_kitti
    root = str(tmp_path / 'kitti')
    shutil.copytree(src, root)
    loading = [dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4),
               dict(type='LoadKittiDepthImage')]
    ds = _dataset(root, loading)
    out = ds[0]
    assert out['depth_img_path'].endswith(osp.join('training', 'depth_2', '000000.png'))
    from_png = out['depth_img']
    cam = ds.get_data_info(0)['images']['CAM2']
    assert from_png.shape == (cam['height'], cam['width'])
    assert 0.01 < (from_png > 0).mean() < 0.5 and from_png.max() < 80.5
    # a real KITTI download has no depth_2: the same image from velodyne (the full scan: the
    # generated depth_2 is made before the converter reduces the scan to the camera view)
    shutil.rmtree(osp.join(root, 'training', 'depth_2'))
    full = [dict(loading[0]), loading[1]]
    ds = _dataset(root, full)
    ds.data_prefix['pts'] = osp.join(root, 'training', 'velodyne')
    info = ds.get_data_info(0)
    info['lidar_points']['lidar_path'] = osp.join(root, 'training', 'velodyne',
                                                  osp.basename(info['lidar_points']['lidar_path']))
    built = ds.pipeline(info)['depth_img']
    assert ds.pipeline(info)['depth_img_path'] is None
    np.testing.assert_allclose(built, from_png, atol=1 / 256 + 1e-6)


def _lattice(shape, top, step, value):
    depth = np.zeros(shape, np.float32)
    depth[top::step, ::step] = value
    return depth


def test_completion_fills_holes_below_the_scan_and_keeps_the_sky_empty():
    # a flat wall at 20 m seen on every third row and column from row 10 down
    sparse = _lattice((60, 90), 10, 3, 20.0)
    dense = complete_depth(sparse)
    np.testing.assert_allclose(dense[10:], 20.0, atol=1e-3)
    assert (dense[:10] == 0).all()  # above the highest return: nothing to fill from


def test_completion_lets_the_nearest_surface_win():
    # a 10 m object (rows 24-44, columns 30-54) in front of a 40 m background
    sparse = _lattice((70, 90), 6, 3, 40.0)
    obj = _lattice((70, 90), 6, 3, 10.0)
    sparse[24:45, 30:55] = obj[24:45, 30:55]
    dense = complete_depth(sparse)
    # holes inside the object take its depth, not an average with the background
    assert abs(dense[34, 43] - 10.0) < 1e-3 and sparse[34, 43] == 0
    assert abs(dense[60, 80] - 40.0) < 1e-3 and abs(dense[8, 5] - 40.0) < 1e-3
    # the measured pixels away from the object's edge keep their depth
    inner = sparse[28:41, 34:51] > 0
    np.testing.assert_allclose(dense[28:41, 34:51][inner], 10.0, atol=1e-3)


def test_load_with_completion_on_a_generated_frame(synthetic_kitti, synthetic_kitti_infos):
    root, _ = synthetic_kitti
    loading = [dict(type='LoadKittiDepthImage', complete=True)]
    out = _dataset(root, loading)[0]
    sparse = read_depth_png(out['depth_img_path'])
    dense = out['depth_img']
    assert (dense > 0).mean() > 4 * (sparse > 0).mean()
    measured = sparse > 0
    # measured pixels move by the blur at surface edges only
    assert np.median(np.abs(dense[measured] - sparse[measured])) < 0.3
    assert LoadKittiDepthImage().complete is False  # files are read as they are by default
