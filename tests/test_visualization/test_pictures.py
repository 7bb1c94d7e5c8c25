# Copyright (c) distillbev contributors. All rights reserved.
"""The pictures put things where the geometry says: projected box edges, BEV footprints and
points, feature cells (pixels checked, not only shapes)."""
import numpy as np
import pytest
import torch
from mmdet3d.structures import LiDARInstance3DBoxes

from distillbev.visualization.pictures import (BOTTOM, BOX_EDGES, GT_COLOR, POINT_COLOR,
                                               PRED_COLOR, bev_detections_image, bev_pixel,
                                               box_corners, camera_detections_image,
                                               feature_mean_image, feature_pairs_image,
                                               project_corners, target_images,
                                               to_original_frame)

# a front camera 1.5 m up, looking along +x: camera x = -lidar y, y = -lidar z, z = lidar x
LIDAR2CAM = np.array([[0., -1., 0., 0.], [0., 0., -1., 1.5], [1., 0., 0., 0.], [0., 0., 0., 1.]])
K = np.array([[200., 0., 160., 0.], [0., 200., 100., 0.], [0., 0., 1., 0.], [0., 0., 0., 1.]])
LIDAR2IMG = K @ LIDAR2CAM
BOX = LiDARInstance3DBoxes(torch.tensor([[12.0, 1.0, -1.5, 4.0, 1.8, 1.6, 0.4]]))


def test_camera_picture_draws_each_edge_where_the_projection_says():
    img = np.zeros((200, 320, 3), np.uint8)
    corners = box_corners(BOX)
    out = camera_detections_image([img], LIDAR2IMG[None], corners, np.zeros((0, 8, 3)),
                                  names=['CAM_FRONT'], width=320)[18:]  # below the title bar
    uv, depth = project_corners(corners, LIDAR2IMG)
    assert (depth > 0).all()
    hits = 0
    for a, b in BOX_EDGES:
        mid = np.round((uv[0, a] + uv[0, b]) / 2).astype(int)
        if 0 <= mid[0] < 320 and 0 <= mid[1] < 200:
            assert tuple(out[mid[1], mid[0]]) == GT_COLOR, (a, b, mid)
            hits += 1
    assert hits == 12
    # independent check of one corner: LiDAR (x, y, z) -> u = 160 - 200 y / x, v = 100 + 200
    # (1.5 - z) / x
    x, y, z = corners[0, 0]
    assert uv[0, 0] == pytest.approx([160 - 200 * y / x, 100 + 200 * (1.5 - z) / x])
    # far from every edge nothing is drawn
    assert tuple(out[5, 5]) == (0, 0, 0)


def test_camera_picture_skips_boxes_behind_the_camera_and_draws_predictions_red():
    behind = BOX.clone()
    behind.tensor[:, 0] = -12.0
    img = np.zeros((200, 320, 3), np.uint8)
    out = camera_detections_image([img], LIDAR2IMG[None], box_corners(behind),
                                  box_corners(BOX), width=320)[18:]
    assert not (out == GT_COLOR).all(-1).any()
    assert (out == PRED_COLOR).all(-1).sum() > 100


def test_bev_picture_footprint_points_and_orientation():
    pcr = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
    points = np.array([[10.05, -20.05, 0.0], [-3.0, 7.0, 0.0]])
    img = bev_detections_image(points, box_corners(BOX), np.zeros((0, 8, 3)), None, pcr, 0.1)
    assert img.shape == (512, 512, 3)
    # +x to the right, +y up: (10.05, -20.05) -> col 356, row 456
    assert bev_pixel(points[0, :2], pcr, 0.1) == pytest.approx([356.5, 456.5])
    assert tuple(img[456, 356]) == POINT_COLOR and tuple(img[186, 226]) == POINT_COLOR
    foot = bev_pixel(box_corners(BOX)[0, BOTTOM, :2], pcr, 0.1)
    for i in range(4):
        mid = np.round((np.round(foot[i]) + np.round(foot[(i + 1) % 4])) / 2).astype(int)
        assert tuple(img[mid[1], mid[0]]) == GT_COLOR


def test_feature_cells_land_where_the_bev_picture_puts_them():
    feat = torch.zeros(8, 16, 16)
    feat[:, 3, 12] = 5.0  # row = y cell 3 (near y_min), col = x cell 12
    img = feature_mean_image(feat)
    assert np.unravel_index(img.sum(-1).argmax(), img.shape[:2]) == (16 - 1 - 3, 12)
    pair = feature_pairs_image({'bev': feat[None]}, {'bev': feat[None] * 2})
    assert pair.shape[0] > 128 and pair.shape[1] > 4 * 128
    with pytest.raises(ValueError, match='no tap name is shared'):
        feature_pairs_image({'a': feat[None]}, {'b': feat[None]})


def test_target_maps_and_coverage_label():
    mask = torch.zeros(1, 1, 32, 32)
    mask[0, 0, :8] = 1.0  # a quarter of the cells
    img = target_images({'fg': dict(mask=mask, num=torch.tensor(3.)),
                         'kpts': dict(keypoints=torch.zeros(1, 4, 9, 2))})
    assert img.shape[1] < 200  # one map drawn: the scalar and the keypoint list are skipped
    body = img[18:]
    # rows y < 8 are at the bottom of the picture (+y up)
    assert body[-1].mean() > body[0].mean()


def test_original_frame_inverts_the_bev_augmentation():
    corners = box_corners(BOX)
    aug = np.eye(4)
    c, s = np.cos(0.3), np.sin(0.3)
    aug[:3, :3] = [[c, -s, 0], [s, c, 0], [0, 0, 1]]
    aug[:3, :3] *= 1.05
    moved = np.concatenate([corners, np.ones((1, 8, 1))], -1) @ aug.T
    np.testing.assert_allclose(to_original_frame(moved[..., :3], aug), corners, atol=1e-9)
