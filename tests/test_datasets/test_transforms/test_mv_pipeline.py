# Copyright (c) distillbev contributors. All rights reserved.
"""End to end: a tiny nuScenes v2 info -> NuScenesDataset (mmengine Compose pipeline) with the
stock point/annotation loaders + distillbev transforms -> Det3DDataPreprocessor."""
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope

import distillbev  # noqa: F401  (registers the transforms)
from mmdet3d.datasets import NuScenesDataset
from mmdet3d.models.data_preprocessors import Det3DDataPreprocessor

CLASSES = list(NuScenesDataset.METAINFO['classes'])  # label 7: pedestrian
CAMS = {'CAM_FRONT': 0., 'CAM_FRONT_RIGHT': -55., 'CAM_FRONT_LEFT': 55., 'CAM_BACK': 180.,
        'CAM_BACK_LEFT': 110., 'CAM_BACK_RIGHT': -110.}
K = [[60., 0., 64.2], [0., 60., 36.2], [0., 0., 1.]]  # 72 x 128 views
FINAL = (32, 64)


def _lidar2cam(yaw_deg):
    yaw = np.deg2rad(yaw_deg)
    mat = np.eye(4)
    # rows: camera x (right), y (down), z (forward, along yaw) in LiDAR coordinates
    mat[:3, :3] = [[np.sin(yaw), -np.cos(yaw), 0.], [0., 0., -1.],
                   [np.cos(yaw), np.sin(yaw), 0.]]
    mat[:3, 3] = (0.0, 0.3, -0.2)
    return mat


@pytest.fixture(scope='module')
def tiny_nus(tmp_path_factory):
    root = tmp_path_factory.mktemp('nus')
    (root / 'lidar').mkdir()
    (root / 'cams').mkdir()
    # one point 10 m in front of every camera, on its optical axis -> principal point, d = 10
    pts = []
    for yaw in CAMS.values():
        cam2lidar = np.linalg.inv(_lidar2cam(yaw))
        pts.append((cam2lidar @ [0., 0., 10., 1.])[:3])
    pts = np.c_[np.array(pts), np.zeros((6, 2))].astype(np.float32)
    pts.tofile(str(root / 'lidar' / 'pts.bin'))
    images = {}
    for i, (cam, yaw) in enumerate(CAMS.items()):
        img = np.full((72, 128, 3), 40 * i, np.uint8)
        cv2.imwrite(str(root / 'cams' / f'{cam}.jpg'), img)
        images[cam] = dict(img_path=f'{cam}.jpg', cam2img=K, lidar2cam=_lidar2cam(yaw).tolist(),
                           cam2ego=np.eye(4).tolist(), sample_data_token=cam, timestamp=0.)
    instances = [
        dict(bbox_3d=[10., -20., -1., 4., 2., 1.5, 0.3], bbox_label_3d=0, bbox_label=0,
             velocity=[1.0, -2.0], num_lidar_pts=5, num_radar_pts=0, bbox_3d_isvalid=True),
        dict(bbox_3d=[-5., 3., -0.5, 0.8, 0.8, 1.7, -1.0], bbox_label_3d=7, bbox_label=7,
             velocity=[0.0, 0.5], num_lidar_pts=3, num_radar_pts=0, bbox_3d_isvalid=True),
    ]
    info = dict(sample_idx=0, token='tok0', timestamp=0., ego2global=np.eye(4).tolist(),
                lidar_points=dict(lidar_path='pts.bin', num_pts_feats=5,
                                  lidar2ego=np.eye(4).tolist()),
                images=images, instances=instances, cam_instances={})
    metainfo = dict(categories={c: i for i, c in enumerate(CLASSES)}, dataset='nuscenes',
                    version='v1.0-mini', info_version='1.1')
    with open(root / 'infos.pkl', 'wb') as f:
        pickle.dump(dict(metainfo=metainfo, data_list=[info]), f)
    return root, pts


def _dataset(root, pipeline, test_mode):
    init_default_scope('mmdet3d')
    return NuScenesDataset(
        data_root=str(root), ann_file='infos.pkl', pipeline=pipeline, test_mode=test_mode,
        modality=dict(use_lidar=True, use_camera=True),
        data_prefix=dict(pts='lidar', img='cams', CAM_BACK='cams'), with_velocity=True)


TRAIN = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5),
    dict(type='LoadMultiViewImagesWithCalib', num_views=6),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True),
    dict(type='MultiViewImageAffineAug', final_size=FINAL, resize_lim=(0.5, 0.6),
         rot_lim=(-5.4, 5.4), flip_prob=0.5),
    dict(type='GlobalBEVAug3D', rot_range=(-0.3927, 0.3927), scale_range=(0.95, 1.05)),
    dict(type='MultiViewDepthFromLiDAR'),
    dict(type='PackMultiViewDet3DInputs',
         keys=['points', 'img', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
]
TEST = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5),
    dict(type='LoadMultiViewImagesWithCalib', num_views=6),
    dict(type='MultiViewImageAffineAug', final_size=FINAL, test_mode=True),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PackMultiViewDet3DInputs', keys=['points', 'img']),
]


def _check_sample(sample, points, orig_pts):
    meta = sample.metainfo
    lidar_aug = meta['lidar_aug_matrix'].astype(np.float64)
    homo = np.c_[orig_pts[:, :3], np.ones(6)].T
    np.testing.assert_allclose(points[:, :3].numpy().T, (lidar_aug @ homo)[:3], atol=1e-4)
    np.testing.assert_allclose(meta['lidar2img'],
                               meta['cam2img'] @ meta['lidar2cam'], atol=1e-4)
    np.testing.assert_allclose(meta['cam2lidar'] @ meta['lidar2cam'],
                               np.tile(np.eye(4), (6, 1, 1)), atol=1e-5)
    hits = 0
    for view in range(6):  # the principal point of each view at depth 10
        u, v = (meta['img_aug_matrix'][view].astype(np.float64) @ [64.2, 36.2, 10., 1.])[:2]
        row, col = int(np.floor(v)), int(np.floor(u))
        if 0 <= row < FINAL[0] and 0 <= col < FINAL[1]:
            assert sample.gt_depth[view, row, col].item() == pytest.approx(10.0, abs=1e-3)
            hits += 1
    return hits


def test_train_pipeline_and_preprocessor(tiny_nus):
    root, orig_pts = tiny_nus
    dataset = _dataset(root, TRAIN, test_mode=False)
    assert isinstance(dataset.pipeline, Compose)
    np.random.seed(0)
    batch = [dataset[0], dataset[0]]
    for item in batch:
        sample = item['data_samples']
        meta = sample.metainfo
        assert item['inputs']['img'].shape == (6, 3, *FINAL)
        assert sample.gt_depth.shape == (6, *FINAL) and meta['num_views'] == 6
        assert meta['img_aug_matrix'].shape == (6, 4, 4)
        assert meta['lidar_aug_matrix'].shape == (4, 4)
        assert _check_sample(sample, item['inputs']['points'], orig_pts) >= 1
        assert int((sample.gt_depth > 0).sum()) <= 6
        # the GT box centres (v2 infos store gravity centres) moved by lidar_aug_matrix too,
        # velocity rotated/scaled
        boxes = sample.gt_instances_3d.bboxes_3d
        centres = boxes.gravity_center.numpy().astype(np.float64)
        boxes = boxes.tensor.numpy().astype(np.float64)
        lidar_aug = meta['lidar_aug_matrix'].astype(np.float64)
        np.testing.assert_allclose(
            centres.T, (lidar_aug @ [[10., -5.], [-20., 3.], [-1., -0.5], [1., 1.]])[:3],
            atol=1e-4)
        np.testing.assert_allclose(boxes[:, 7:9].T, lidar_aug[:2, :2] @ [[1., 0.], [-2., .5]],
                                   atol=1e-4)
        assert sample.gt_instances_3d.labels_3d.tolist() == [0, 7]
    assert not np.allclose(batch[0]['data_samples'].metainfo['img_aug_matrix'],
                           batch[1]['data_samples'].metainfo['img_aug_matrix'])
    depths = [item['data_samples'].gt_depth.clone() for item in batch]
    raw = [item['inputs']['img'].clone() for item in batch]
    pre = Det3DDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                                bgr_to_rgb=True, pad_size_divisor=32)
    out = pre(pseudo_collate(batch), training=True)
    assert out['inputs']['imgs'].shape == (2, 6, 3, *FINAL)
    torch.testing.assert_close(out['inputs']['imgs'][1, :, 0],
                               (raw[1][:, 2].float() - 123.675) / 58.395)
    for b in range(2):
        torch.testing.assert_close(out['data_samples'][b].gt_depth, depths[b], rtol=0, atol=0)


def test_test_pipeline(tiny_nus):
    root, orig_pts = tiny_nus
    dataset = _dataset(root, TEST, test_mode=True)
    item = dataset[0]
    meta = item['data_samples'].metainfo
    # 72 x 128 -> fit 0.5 -> 36 x 64, bottom 32 rows: crop_y = 4
    expected = np.array([[0.5, 0., 0., 0.], [0., 0.5, 0., -4.], [0., 0., 1., 0.],
                         [0., 0., 0., 1.]])
    np.testing.assert_allclose(meta['img_aug_matrix'], np.tile(expected, (6, 1, 1)), atol=1e-6)
    np.testing.assert_array_equal(meta['lidar_aug_matrix'], np.eye(4))
    np.testing.assert_allclose(item['inputs']['points'].numpy(), orig_pts, atol=1e-6)
    assert item['inputs']['img'].shape == (6, 3, *FINAL)
    # view i is a flat JPEG of value 40 i (up to compression)
    means = item['inputs']['img'].float().mean(dim=(1, 2, 3))
    np.testing.assert_allclose(means.numpy(), 40. * np.arange(6), atol=2.0)
