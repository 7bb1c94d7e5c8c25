# Copyright (c) distillbev contributors. All rights reserved.
import numpy as np
import torch

from distillbev.datasets.transforms import MultiViewDepthFromLiDAR
from distillbev.datasets.transforms.mv_geometry import image_aug_matrix, pad_to_4x4
from mmdet3d.structures import LiDARPoints

# view 0 looks along LiDAR +x, view 1 along -x
FRONT = np.array([[0., -1., 0., 0.], [0., 0., -1., 0.], [1., 0., 0., 0.], [0., 0., 0., 1.]])
BACK = np.array([[0., 1., 0., 0.], [0., 0., -1., 0.], [-1., 0., 0., 0.], [0., 0., 0., 1.]])
K = pad_to_4x4([[100., 0., 50.3], [0., 100., 40.3], [0., 0., 1.]])


def test_point_lands_at_expected_pixel_and_depth():
    lidar2img = np.stack([K @ FRONT, K @ BACK]).astype(np.float32)
    # original frame: (10, -2, 1) -> front view (u, v, d) = (70.3, 30.3, 10);
    # (6, -1.2, 0.6) same ray, nearer (d = 6); (-5, 0, 0) -> back view (50.3, 40.3, 5)
    orig = np.array([[10., -2., 1.], [6., -1.2, 0.6], [-5., 0., 0.], [0., 0., 5.]])
    # LiDAR aug: rotate 90 deg and scale 1.5 (points are stored augmented)
    lidar_aug = np.array([[0., -1.5, 0., 0.], [1.5, 0., 0., 0.], [0., 0., 1.5, 0.],
                          [0., 0., 0., 1.]])
    aug_xyz = (lidar_aug @ np.c_[orig, np.ones(4)].T).T[:, :3]
    pts = np.c_[aug_xyz, np.zeros((4, 2))]
    pts[2, 4] = 0.05  # a sweep point (time lag) in the back view
    # image aug of both views: resize 0.5, crop (10, 20), flip, rotate 90 -> (64, 96)
    img_aug = image_aug_matrix(0.5, (10, 20), True, 90.0, (64, 96))
    results = dict(points=LiDARPoints(torch.tensor(pts, dtype=torch.float32), points_dim=5),
                   img=[np.zeros((64, 96, 3), np.uint8)] * 2, lidar2img=lidar2img,
                   img_aug_matrix=np.stack([img_aug, img_aug]).astype(np.float32),
                   lidar_aug_matrix=lidar_aug.astype(np.float32))
    out = MultiViewDepthFromLiDAR()(dict(results))
    depth = out['gt_depth']
    assert depth.shape == (2, 64, 96) and depth.dtype == np.float32
    # front: (70.3, 30.3) -> (0.5 * 30.3 - 4, 0.5 * 70.3 - 26) = (11.15, 9.15): row 9, col 11
    expected = np.zeros((2, 64, 96), np.float32)
    expected[0, 9, 11] = 6.0  # nearest of the two points on that ray
    # back: (50.3, 40.3) -> (16.15, -0.85): outside the image (row -1)
    np.testing.assert_allclose(depth, expected, atol=1e-5)

    # without image aug the back-view point is inside: pixel (row 40, col 50), d = 5
    results['img_aug_matrix'] = np.tile(np.eye(4, dtype=np.float32), (2, 1, 1))
    results['img'] = [np.zeros((80, 100, 3), np.uint8)] * 2
    depth = MultiViewDepthFromLiDAR()(dict(results))['gt_depth']
    assert depth[1, 40, 50] == np.float32(5.0) and np.count_nonzero(depth[1]) == 1
    assert depth[0, 30, 70] == np.float32(6.0) and np.count_nonzero(depth[0]) == 1
    # key-frame points only: the sweep point (time lag 0.05) is dropped
    depth = MultiViewDepthFromLiDAR(time_dim=4)(dict(results))['gt_depth']
    assert np.count_nonzero(depth[1]) == 0 and depth[0, 30, 70] == np.float32(6.0)
    # max_depth drops the d = 6 point, not the d = 5 one
    depth = MultiViewDepthFromLiDAR(max_depth=5.5)(dict(results))['gt_depth']
    assert np.count_nonzero(depth[0]) == 0 and depth[1, 40, 50] == np.float32(5.0)
