# Copyright (c) distillbev contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from distillbev.datasets.transforms import LoadMultiViewImagesWithCalib


def _views(tmp_path, sizes=((20, 30), (20, 30))):
    images = {}
    for i, (h, w) in enumerate(sizes):
        img = np.zeros((h, w, 3), np.uint8)
        img[..., 2] = 200  # red in BGR
        img[0, 0] = (255, 0, 0)  # blue in BGR
        path = str(tmp_path / f'cam{i}.png')
        cv2.imwrite(path, img)
        lidar2cam = np.eye(4)
        lidar2cam[:3, 3] = (i, 2.0, -1.0)
        lidar2cam[:3, :3] = [[0., -1., 0.], [0., 0., -1.], [1., 0., 0.]]
        images[f'CAM_{i}'] = dict(img_path=path, cam2img=[[10., 0., 15.], [0., 10. + i, 10.],
                                                          [0., 0., 1.]],
                                  lidar2cam=lidar2cam.tolist())
    images['R0_rect'] = np.eye(4).tolist()[:3]  # non-camera entry (KITTI-like): skipped
    return images


def test_geometry_and_channel_order(tmp_path):
    images = _views(tmp_path)
    out = LoadMultiViewImagesWithCalib(num_views=2)(dict(images=images))
    assert len(out['img']) == 2 and out['img'][0].dtype == np.uint8
    np.testing.assert_array_equal(out['img'][0][1, 1], (0, 0, 200))  # BGR
    np.testing.assert_array_equal(out['img'][0][0, 0], (255, 0, 0))
    cam2img = np.array([[10., 0., 15., 0.], [0., 11., 10., 0.], [0., 0., 1., 0.], [0., 0., 0., 1.]])
    np.testing.assert_array_equal(out['cam2img'][1], cam2img)
    lidar2cam = np.array([[0., -1., 0., 1.], [0., 0., -1., 2.], [1., 0., 0., -1.],
                          [0., 0., 0., 1.]])
    np.testing.assert_array_equal(out['lidar2cam'][1], lidar2cam)
    # cam2lidar: R^T, -R^T t
    cam2lidar = np.array([[0., 0., 1., 1.], [-1., 0., 0., 1.], [0., -1., 0., 2.],
                          [0., 0., 0., 1.]])
    np.testing.assert_allclose(out['cam2lidar'][1], cam2lidar, atol=1e-6)
    np.testing.assert_allclose(out['lidar2img'][1], cam2img @ lidar2cam, atol=1e-5)
    for key in ('cam2img', 'lidar2cam', 'cam2lidar', 'lidar2img', 'img_aug_matrix'):
        assert out[key].shape == (2, 4, 4) and out[key].dtype == np.float32
    np.testing.assert_array_equal(out['img_aug_matrix'], np.tile(np.eye(4), (2, 1, 1)))
    np.testing.assert_array_equal(out['lidar_aug_matrix'], np.eye(4))
    assert out['img_shape'] == out['ori_shape'] == out['pad_shape'] == (20, 30)
    assert out['num_views'] == 2 and out['img_path'] == [images['CAM_0']['img_path'],
                                                         images['CAM_1']['img_path']]

    out = LoadMultiViewImagesWithCalib(num_views=2, channel_order='rgb', to_float32=True)(
        dict(images=_views(tmp_path)))
    np.testing.assert_array_equal(out['img'][0][1, 1], (200, 0, 0))  # RGB
    assert out['img'][0].dtype == np.float32


def test_order_padding_existing_matrices_and_errors(tmp_path):
    images = _views(tmp_path, sizes=((20, 30), (24, 28)))
    prev = np.full((4, 4), 2.0, np.float32)
    out = LoadMultiViewImagesWithCalib(num_views=None, cam_names=['CAM_1', 'CAM_0'])(
        dict(images=images, lidar_aug_matrix=prev))
    np.testing.assert_array_equal(out['cam2img'][0, 1, 1], 11.0)  # CAM_1 first
    assert [im.shape for im in out['img']] == [(24, 30, 3)] * 2
    assert out['img'][1][20:].sum() == 0 and out['img'][0][:, 28:].sum() == 0
    np.testing.assert_array_equal(out['lidar_aug_matrix'], prev)  # kept
    with pytest.raises(ValueError, match='expected 6 views'):
        LoadMultiViewImagesWithCalib()(dict(images=_views(tmp_path)))
    with pytest.raises(KeyError, match='CAM_X'):
        LoadMultiViewImagesWithCalib(num_views=1, cam_names=['CAM_X'])(
            dict(images=_views(tmp_path)))
