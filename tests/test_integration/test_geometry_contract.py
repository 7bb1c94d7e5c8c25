# Copyright (c) distillbev contributors. All rights reserved.
"""One geometry for both modalities, end to end, with every augmentation switched on.

A LiDAR point on a box corner goes through the real pipeline (multi-view loading, BEVDet image
augmentation with resize, crop, flip and rotation, BEV augmentation with rotation, scaling and
both flips, LiDAR depth targets). The augmented point must sit on the augmented box's corner
(points and boxes move together), its depth-target pixel must lift back through the
view transformer (frustum + bev_pool, with img_aug_matrix and lidar_aug_matrix) onto exactly
one BEV cell, and that cell must be the cell of the augmented box corner."""
import cv2
import numpy as np
import pytest
import torch
from helpers.multiview import ring_of_cameras

from distillbev.datasets.transforms import (GlobalBEVAug3D, LoadMultiViewImagesWithCalib,
                                            MultiViewDepthFromLiDAR, MultiViewImageAffineAug)
from distillbev.models.view_transforms import LiftSplatViewTransformer, bev_cell_of
from mmdet3d.structures import LiDARInstance3DBoxes, LiDARPoints

SIZE = (128, 352)
CAMS = ['CAM_FRONT', 'CAM_FRONT_RIGHT', 'CAM_BACK_RIGHT', 'CAM_BACK', 'CAM_BACK_LEFT',
        'CAM_FRONT_LEFT']
RANGE = 25.6


def _results(tmp_path, corner_index: int):
    cam2img, cam2lidar = ring_of_cameras(6, size=SIZE)
    images = {}
    for i, cam in enumerate(CAMS):
        path = str(tmp_path / f'{cam}.jpg')
        cv2.imwrite(path, np.full(SIZE + (3, ), 40 * i, np.uint8))
        images[cam] = dict(img_path=path, cam2img=cam2img[i, :3, :3].tolist(),
                           lidar2cam=np.linalg.inv(cam2lidar[i]).tolist())
    box = LiDARInstance3DBoxes(torch.tensor([[9.0, 1.5, -1.2, 4.2, 1.9, 1.6, 0.35]]))
    corner = box.corners[0, corner_index].numpy()
    points = LiDARPoints(np.r_[corner, 0.5, 0.0][None].astype(np.float32), points_dim=5)
    return dict(images=images, points=points, gt_bboxes_3d=box,
                gt_labels_3d=np.array([0])), corner


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_box_corner_lifts_to_its_bev_cell_under_all_augmentations(tmp_path, seed):
    np.random.seed(seed)
    results, corner = _results(tmp_path, corner_index=[2, 3, 6][seed])
    pipeline = [
        LoadMultiViewImagesWithCalib(num_views=6),
        MultiViewImageAffineAug(final_size=SIZE, resize_lim=(1.05, 1.25),
                                bot_pct_lim=(0.0, 0.1), rot_lim=(-5.4, 5.4), flip_prob=1.0),
        GlobalBEVAug3D(rot_range=(-0.39, 0.39), scale_range=(0.95, 1.05), flip_x_prob=1.0,
                       flip_y_prob=1.0),
        MultiViewDepthFromLiDAR(),
    ]
    for transform in pipeline:
        results = transform(results)
    params = results['img_aug_params']
    assert all(p['flip'] for p in params) and all(p['rotate'] != 0 for p in params)
    lidar_aug = results['lidar_aug_matrix']
    assert not np.allclose(lidar_aug[:3, :3], np.eye(3))

    # Points and boxes moved together: the augmented point is a corner of the augmented box.
    point = results['points'].tensor[0, :3].numpy()
    np.testing.assert_allclose(point, (lidar_aug @ np.r_[corner, 1.0])[:3], atol=1e-4)
    corners = results['gt_bboxes_3d'].corners[0].numpy()
    assert np.abs(corners - point).sum(axis=1).min() < 1e-3

    # The depth target marks the pixel where the point projects in the augmented image.
    gt_depth = results['gt_depth']
    hits = np.argwhere(gt_depth > 0)
    assert len(hits) >= 1
    view, row, col = hits[0]
    depth = float(gt_depth[view, row, col])

    # Lift exactly that pixel through the view transformer at full resolution (stride 1) with a
    # 2 cm depth bin around its depth: a one-hot depth there and context 1 only at that pixel.
    d0 = np.floor(depth) - 1.0
    grid = dict(x=[-RANGE, RANGE, 0.8], y=[-RANGE, RANGE, 0.8], z=[-5.0, 3.0, 8.0],
                depth=[d0, d0 + 2.0, 0.02])
    vt = LiftSplatViewTransformer(in_channels=1, out_channels=1, grid_config=grid, downsample=1)
    num_bins = vt.depth_channels
    k = int((depth - d0) // 0.02)

    def depth_and_context(x, cam_params):
        out = torch.full((1, num_bins + 1) + SIZE, -1e4)
        out[:, 0] = 0.0
        out[0, k, row, col] = 1e4
        out[0, num_bins] = 0.0
        out[0, num_bins, row, col] = 1.0
        return out

    vt.depth_and_context = depth_and_context

    def mat(key, index=slice(None)):
        return torch.as_tensor(np.asarray(results[key], dtype=np.float32)[index])[None]

    sel = slice(view, view + 1)
    cam_params = dict(cam2img=mat('cam2img', sel), cam2lidar=mat('cam2lidar', sel),
                      img_aug_matrix=mat('img_aug_matrix', sel),
                      lidar_aug_matrix=torch.as_tensor(lidar_aug, dtype=torch.float32)[None])
    # The frustum point of that pixel and depth bin is the augmented corner, to the pixel and
    # depth-bin quantisation (< 5 cm here).
    lifted = vt.get_geometry(cam_params, SIZE, (1, 1))[0, 0, k, row, col].numpy()
    assert np.linalg.norm(lifted - point) < 0.05
    bev, _ = vt(torch.zeros(1, 1, 1, *SIZE), cam_params, img_shape=SIZE)
    lit = [tuple(c) for c in torch.nonzero(bev[0, 0] > 0.5).tolist()]
    assert lit == [bev_cell_of(lifted[:2], grid)]
    # ... which is the BEV cell (row = y, col = x) of the augmented box corner; a corner closer
    # than the 5 cm quantisation to a cell border may land on the neighbouring cell.
    nearest = corners[np.abs(corners - point).sum(axis=1).argmin()]
    candidates = {bev_cell_of(nearest[:2] + np.array([dx, dy]), grid)
                  for dx in (-0.05, 0.0, 0.05) for dy in (-0.05, 0.0, 0.05)}
    assert lit[0] in candidates
    if len(candidates) == 1:
        assert lit[0] == (int(np.floor((point[1] + RANGE) / 0.8)),
                          int(np.floor((point[0] + RANGE) / 0.8)))
