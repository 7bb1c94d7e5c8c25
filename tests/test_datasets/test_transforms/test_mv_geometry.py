# Copyright (c) distillbev contributors. All rights reserved.
import numpy as np

from distillbev.datasets.transforms.mv_geometry import (cv2_affine, image_aug_matrix,
                                                        nearest_depth_map, pad_to_4x4,
                                                        project_to_views)

# a camera looking along LiDAR +x: x_cam = -y_lidar, y_cam = -z_lidar, z_cam = x_lidar
LIDAR2CAM = np.array([[0., -1., 0., 0.], [0., 0., -1., 0.], [1., 0., 0., 0.], [0., 0., 0., 1.]])
CAM2IMG = np.array([[100., 0., 50.], [0., 100., 40.], [0., 0., 1.]])


def test_pad_to_4x4():
    out = pad_to_4x4(CAM2IMG)
    np.testing.assert_array_equal(out, [[100, 0, 50, 0], [0, 100, 40, 0], [0, 0, 1, 0],
                                        [0, 0, 0, 1]])


def test_image_aug_matrix_steps():
    # resize only
    np.testing.assert_allclose(image_aug_matrix(0.5, (0, 0), False, 0.0, (64, 96)),
                               np.diag([0.5, 0.5, 1, 1]), atol=1e-12)
    # crop only: (u, v) -> (u - 10, v - 20)
    m = image_aug_matrix(1.0, (10, 20), False, 0.0, (64, 96))
    np.testing.assert_allclose(m @ [30, 25, 7, 1], [20, 5, 7, 1], atol=1e-12)
    # flip only: u -> 96 - u (the left edge goes to the right edge)
    m = image_aug_matrix(1.0, (0, 0), True, 0.0, (64, 96))
    np.testing.assert_allclose(m @ [0, 3, 2, 1], [96, 3, 2, 1], atol=1e-12)
    # rotate 90 deg (counter-clockwise as displayed) about (48, 32): the point 10 px right
    # of the centre goes 10 px above it
    m = image_aug_matrix(1.0, (0, 0), False, 90.0, (64, 96))
    np.testing.assert_allclose(m @ [58, 32, 1, 1], [48, 22, 1, 1], atol=1e-12)


def test_image_aug_matrix_composed():
    # resize 0.5, crop (10, 20), flip, rotate 90 into (H, W) = (64, 96), by hand:
    # u1 = 0.5u - 10, v1 = 0.5v - 20; flip u2 = 96 - u1; rotate about (48, 32):
    # u3 = 48 + (v1 - 32) = 0.5v - 4, v3 = 32 - (u2 - 48) = 0.5u - 26
    expected = np.array([[0., 0.5, 0., -4.], [0.5, 0., 0., -26.], [0., 0., 1., 0.],
                         [0., 0., 0., 1.]])
    np.testing.assert_allclose(image_aug_matrix(0.5, (10, 20), True, 90.0, (64, 96)), expected,
                               atol=1e-12)


def test_cv2_affine_shifts_pixel_centres():
    # resize 0.5: the cv2 pixel-centre coordinate x maps to (x + 0.5) / 2 - 0.5
    np.testing.assert_allclose(cv2_affine(np.diag([0.5, 0.5, 1., 1.])),
                               [[0.5, 0., -0.25], [0., 0.5, -0.25]], atol=1e-12)
    # flip into width 96: x -> 95 - x for cv2 pixel indices
    np.testing.assert_allclose(cv2_affine(image_aug_matrix(1.0, (0, 0), True, 0.0, (64, 96))),
                               [[-1., 0., 95.], [0., 1., 0.]], atol=1e-12)


def test_project_to_views_and_augs():
    lidar2img = (pad_to_4x4(CAM2IMG) @ LIDAR2CAM)[None]
    # x_cam = 2, y_cam = -1, z_cam = 10 -> u = 70, v = 30, d = 10
    uvd = project_to_views(np.array([[10., -2., 1.]]), lidar2img)
    np.testing.assert_allclose(uvd, [[[70., 30., 10.]]], atol=1e-9)
    # with a LiDAR aug (scale 2) the stored point is (20, -4, 2) and maps back to the same pixel
    lidar_aug = np.diag([2., 2., 2., 1.])
    img_aug = image_aug_matrix(0.5, (10, 20), True, 90.0, (64, 96))[None]
    uvd = project_to_views(np.array([[20., -4., 2.]]), lidar2img, img_aug, lidar_aug)
    np.testing.assert_allclose(uvd, [[[0.5 * 30 - 4, 0.5 * 70 - 26, 10.]]], atol=1e-9)


def test_nearest_depth_map():
    uvd = np.array([
        [3.4, 2.6, 5.0],   # -> (row 2, col 3)
        [3.9, 2.1, 3.0],   # same pixel, nearer: kept
        [0.0, 0.0, -1.0],  # behind the camera
        [8.0, 1.0, 4.0],   # col 8 outside W = 8
        [0.2, 3.9, 9.0],   # (row 3, col 0)
        [-0.1, 1.0, 2.0],  # col -1 outside
        [1.0, 1.0, 0.0005],  # closer than min_depth
    ])
    out = nearest_depth_map(uvd, (4, 8), min_depth=1e-3)
    expected = np.zeros((4, 8), np.float32)
    expected[2, 3] = 3.0
    expected[3, 0] = 9.0
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    out = nearest_depth_map(uvd, (4, 8), max_depth=4.0)
    expected[3, 0] = 0.0
    np.testing.assert_array_equal(out, expected)
