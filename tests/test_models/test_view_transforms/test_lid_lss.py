# Copyright (c) distillbev contributors. All rights reserved.
"""The CMKD KITTI student's lift: a box corner seen by the KITTI camera through every
augmentation (image flip/resize/crop in img_aug_matrix, BEV rotation/scale/flip in
lidar_aug_matrix) lifts, from a one-hot depth at its pixel, onto the corner's cell of the
PointPillars KITTI grid."""
import numpy as np
import pytest
import torch
from mmdet3d.structures import LiDARInstance3DBoxes, LiDARPoints
from torch import nn

import distillbev  # noqa: F401
from distillbev.datasets.synthetic.kitti import kitti_calib
from distillbev.datasets.transforms import (GlobalBEVAug3D, MultiViewDepthFromLiDAR,
                                            MultiViewImageAffineAug)
from distillbev.models.view_transforms import (LIDDepthViewTransformer, downsample_gt_depth,
                                               lid_bins)
from distillbev.structures import BEVGrid

LID = dict(mode='LID', min=2.0, max=46.8, num_bins=120)
# the stock PointPillars KITTI pillar grid (0.16 m, 432 x 496), one z slab
GRID = dict(x=[0, 69.12, 0.16], y=[-39.68, 39.68, 0.16], z=[-3.0, 1.0, 4.0], depth=LID)
FINAL = (384, 1248)
STRIDE = 8


def kitti_camera():
    calib = kitti_calib(375, 1242)
    p2, r0, tr = np.eye(4), np.eye(4), np.eye(4)
    p2[:3], r0[:3, :3], tr[:3] = calib['P2'], calib['R0_rect'], calib['Tr_velo_to_cam']
    return p2, r0 @ tr


class OneHotDepth(nn.Module):
    """Depth logits: bin ``k`` at feature pixel ``(i, j)``, the out-of-range class elsewhere
    (exact zeros after the softmax); context 1 at every pixel."""

    def __init__(self, i, j, k, num_bins):
        super().__init__()
        self.i, self.j, self.k, self.num_bins = i, j, k, num_bins

    def forward(self, x):
        m, _, h, w = x.shape
        logits = torch.full((m, self.num_bins + 1, h, w), -1e4)
        logits[:, self.num_bins] = 0.0
        logits[:, self.num_bins, self.i, self.j] = -1e4
        logits[:, self.k, self.i, self.j] = 0.0
        return torch.cat([logits, torch.ones(m, 1, h, w)], 1)


@pytest.mark.parametrize('aug', [None, dict(scale=0.9, crop=(14, 28), flip=True, angle=0.3,
                                            bev_scale=1.05, flip_y=True)])
@pytest.mark.parametrize('i,j,k', [(26, 70, 60), (20, 120, 100)])
def test_corner_lifts_onto_its_cell(aug, i, j, k):
    p2, lidar2cam = kitti_camera()
    height, width = FINAL
    # the augmentations by hand: image u' = W - (s u - cx) when flipped, v' = s v - cy;
    # BEV M = Fy @ S @ Rz(angle)
    m_img, m_bev = np.eye(4), np.eye(4)
    m_img[1, 3] = 384 - 375  # test time: scale 1, the bottom-aligned frame padded on top
    if aug is not None:
        s, (cx, cy) = aug['scale'], aug['crop']
        m_img[0, 0], m_img[0, 3] = -s, width + cx
        m_img[1, 1], m_img[1, 3] = s, -cy
        c, sn = np.cos(aug['angle']), np.sin(aug['angle'])
        rot = np.array([[c, -sn, 0, 0], [sn, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.]])
        m_bev = np.diag([1., -1., 1., 1.]) @ np.diag([aug['bev_scale']] * 3 + [1.]) @ rot
    # the corner: the augmented pixel centre of feature cell (i, j) at the depth plane of bin k
    d = float(lid_bins(2.0, 46.8, 120)[k])
    u_aug, v_aug = (j + 0.5) * STRIDE, (i + 0.5) * STRIDE
    u, v, _, _ = np.linalg.inv(m_img) @ [u_aug, v_aug, d, 1.0]
    assert 0 <= u < 1242 and 0 <= v < 375  # the original camera sees it
    corner = np.linalg.inv(lidar2cam) @ np.linalg.inv(p2) @ [u * d, v * d, d, 1.0]
    boxes = LiDARInstance3DBoxes(torch.tensor([[0., 0., 0., 3.9, 1.6, 1.56, 0.4]]))
    boxes.translate(torch.tensor(corner[:3], dtype=torch.float32) - boxes.corners[0, 6])

    # the data pipeline: images, then points and boxes, then the depth target
    results = dict(img=[np.zeros((375, 1242, 3), np.uint8)], lidar2img=(p2 @ lidar2cam)[None],
                   points=LiDARPoints(torch.tensor([[*corner[:3], 0.]], dtype=torch.float32),
                                      points_dim=4),
                   gt_bboxes_3d=boxes)
    if aug is not None:
        results['replay_img_aug_params'] = [dict(scale=aug['scale'], crop=aug['crop'],
                                                 flip=aug['flip'], rotate=0.0)]
        results = MultiViewImageAffineAug(final_size=FINAL).transform(results)
        results = GlobalBEVAug3D().apply(results, aug['angle'], aug['bev_scale'], False,
                                         aug['flip_y'])
    else:
        results = MultiViewImageAffineAug(final_size=FINAL, resize_test=1.0,
                                          test_mode=True).transform(results)
        results = GlobalBEVAug3D(test_mode=True).transform(results)
    results = MultiViewDepthFromLiDAR().transform(results)
    assert np.allclose(results['img_aug_matrix'][0], m_img, atol=1e-4)
    assert np.allclose(results['lidar_aug_matrix'], m_bev, atol=1e-6)
    # the box moved with the recorded matrix: one of its corners is M @ corner (a flip mirrors
    # the box, so the corner's index among the 8 changes)
    corners = results['gt_bboxes_3d'].corners[0].double()
    dist = (corners - torch.tensor((m_bev @ corner)[:3])).norm(dim=1)
    assert dist.min() < 1e-4
    aug_corner = corners[dist.argmin()]
    # the depth target puts the corner's depth in feature cell (i, j)
    gt = torch.as_tensor(results['gt_depth'])
    target = downsample_gt_depth(gt, (height // STRIDE, width // STRIDE), (STRIDE, STRIDE))
    assert target[0, i, j].item() == pytest.approx(d, abs=1e-3)
    assert (target > 0).sum() == 1

    # the lift: one-hot depth at (i, j), bin k -> exactly one BEV cell, the corner's
    vt = LIDDepthViewTransformer(in_channels=1, out_channels=1, grid_config=GRID, downsample=8)
    vt.depth_net = OneHotDepth(i, j, k, 120)
    cams = dict(cam2img=torch.tensor(p2, dtype=torch.float32)[None, None],
                cam2lidar=torch.tensor(np.linalg.inv(lidar2cam), dtype=torch.float32)[None, None],
                img_aug_matrix=torch.tensor(results['img_aug_matrix'])[None],
                lidar_aug_matrix=torch.tensor(results['lidar_aug_matrix'])[None])
    feats = torch.zeros(1, 1, 1, height // STRIDE, width // STRIDE)
    bev, depth = vt(feats, cams, img_shape=FINAL)
    assert depth.shape == (1, 121, height // STRIDE, width // STRIDE)
    grid = BEVGrid.from_grid_config(GRID)
    uv = grid.world_to_cell(aug_corner[None, :2])[0]
    assert (uv - uv.floor()).min() > 1e-3 and (uv.ceil() - uv).min() > 1e-3  # not on an edge
    col, row = grid.world_to_index(aug_corner[None, :2])[0].tolist()
    assert grid.in_range(aug_corner[None, :2]).item() and -3.0 < aug_corner[2].item() < 1.0
    assert bev.shape == (1, 1, 496, 432)
    assert torch.nonzero(bev[0, 0]).tolist() == [[row, col]]
    assert bev[0, 0, row, col].item() == pytest.approx(1.0)
