# Copyright (c) distillbev contributors. All rights reserved.
import numpy as np
import pytest
import torch

from distillbev.datasets.transforms import GlobalBEVAug3D
from mmdet3d.structures import LiDARInstance3DBoxes, LiDARPoints


def _scene():
    pts = torch.tensor([[10., -2., 1., 0.5, 0.], [-3., 4., -1., 0.2, 0.1], [0.5, 7., 2., 0., 0.]])
    boxes = torch.tensor([[10., -20., -1., 4., 2., 1.5, 0.3, 1.0, -2.0],
                          [-5., 3., 0.5, 1., 1., 1., -2.0, 0.0, 0.5]])
    return dict(points=LiDARPoints(pts.clone(), points_dim=5),
                gt_bboxes_3d=LiDARInstance3DBoxes(boxes.clone(), box_dim=9)), pts, boxes


def _homo(xyz):
    return np.concatenate([xyz, np.ones((xyz.shape[0], 1))], axis=1).T


@pytest.mark.parametrize('params', [
    dict(angle=0.7, scale=1.0, flip_x=False, flip_y=False),
    dict(angle=0.0, scale=1.2, flip_x=False, flip_y=False),
    dict(angle=0.0, scale=1.0, flip_x=True, flip_y=False),
    dict(angle=0.0, scale=1.0, flip_x=False, flip_y=True),
    dict(angle=-0.4, scale=0.9, flip_x=True, flip_y=True),
])
def test_matrix_matches_points_boxes_yaw_velocity(params):
    results, pts, boxes = _scene()
    out = GlobalBEVAug3D().apply(results, **params)
    mat = out['lidar_aug_matrix'].astype(np.float64)
    new_pts = out['points'].tensor.numpy()
    np.testing.assert_allclose(new_pts[:, :3].T, (mat @ _homo(pts[:, :3].numpy()))[:3],
                               atol=1e-5)
    np.testing.assert_allclose(new_pts[:, 3:], pts[:, 3:].numpy())  # features untouched
    new_boxes = out['gt_bboxes_3d'].tensor.numpy()
    # centres (bottom and gravity) move by M
    np.testing.assert_allclose(new_boxes[:, :3].T, (mat @ _homo(boxes[:, :3].numpy()))[:3],
                               atol=1e-5)
    np.testing.assert_allclose(
        out['gt_bboxes_3d'].gravity_center.numpy().T,
        (mat @ _homo(LiDARInstance3DBoxes(boxes, box_dim=9).gravity_center.numpy()))[:3],
        atol=1e-5)
    # sizes scale with the scale factor
    np.testing.assert_allclose(new_boxes[:, 3:6], boxes[:, 3:6].numpy() * params['scale'],
                               atol=1e-5)
    # heading (cos yaw, sin yaw) turns with the linear part of M
    lin = mat[:2, :2]
    yaw = boxes[:, 6].numpy()
    head = lin @ np.stack([np.cos(yaw), np.sin(yaw)])
    head /= np.linalg.norm(head, axis=0)
    np.testing.assert_allclose(np.cos(new_boxes[:, 6]), head[0], atol=1e-5)
    np.testing.assert_allclose(np.sin(new_boxes[:, 6]), head[1], atol=1e-5)
    # velocity (m/s in the scene, scaled with it) turns and scales with M
    np.testing.assert_allclose(new_boxes[:, 7:9].T, lin @ boxes[:, 7:9].numpy().T, atol=1e-5)


def test_rotation_direction_and_expected_matrix():
    results = dict(points=LiDARPoints(torch.tensor([[1., 0., 0.]]), points_dim=3))
    out = GlobalBEVAug3D().apply(results, angle=np.pi / 2, scale=2.0, flip_x=True, flip_y=False)
    # rotate +90 deg: (1, 0) -> (0, 1); scale 2 -> (0, 2); x-flip leaves it
    np.testing.assert_allclose(out['points'].tensor.numpy(), [[0., 2., 0.]], atol=1e-6)
    expected = np.array([[0., 2., 0., 0.], [2., 0., 0., 0.], [0., 0., 2., 0.], [0., 0., 0., 1.]])
    np.testing.assert_allclose(out['lidar_aug_matrix'], expected, atol=1e-6)
    assert out['pcd_vertical_flip'] and not out['pcd_horizontal_flip']
    assert out['pcd_scale_factor'] == 2.0


def test_left_multiplies_and_random_draw():
    prev = np.array([[1., 0., 0., 5.], [0., 1., 0., 0.], [0., 0., 1., 0.], [0., 0., 0., 1.]])
    results, pts, _ = _scene()
    results['lidar_aug_matrix'] = prev.astype(np.float32)
    np.random.seed(3)
    aug = GlobalBEVAug3D(rot_range=(-0.5, 0.5), scale_range=(0.9, 1.1))
    out = aug(results)
    np.random.seed(3)
    params = aug.sample_params()
    step = GlobalBEVAug3D().apply(_scene()[0], **params)['lidar_aug_matrix']
    np.testing.assert_allclose(out['lidar_aug_matrix'], step @ prev, atol=1e-5)


def test_test_mode_identity():
    results, pts, boxes = _scene()
    out = GlobalBEVAug3D(test_mode=True)(results)
    np.testing.assert_array_equal(out['lidar_aug_matrix'], np.eye(4))
    np.testing.assert_array_equal(out['points'].tensor.numpy(), pts.numpy())
    np.testing.assert_array_equal(out['gt_bboxes_3d'].tensor.numpy(), boxes.numpy())


def test_no_points_or_boxes():
    out = GlobalBEVAug3D().apply({}, angle=0.3, scale=1.0, flip_x=False, flip_y=False)
    c, s = np.cos(0.3), np.sin(0.3)
    np.testing.assert_allclose(out['lidar_aug_matrix'][:2, :2], [[c, -s], [s, c]], atol=1e-6)
