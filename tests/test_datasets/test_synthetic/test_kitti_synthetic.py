# Copyright (c) distillbev contributors. All rights reserved.
"""The synthetic KITTI-layout dataset through the stock converter and KittiMetric."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from distillbev.datasets.synthetic.kitti import (LIDAR_HEIGHT, VELO_TO_CAM_R, VELO_TO_CAM_T,
                                                 kitti_calib)


def _labels(root, idx):
    with open(osp.join(root, 'training', 'label_2', f'{idx:06d}.txt')) as f:
        return [line.split() for line in f if line.strip()]


def test_layout_and_geometry(synthetic_kitti):
    root, summary = synthetic_kitti
    assert summary['train'] == [0, 1, 2] and summary['val'] == [3, 4, 5]
    for name, ids in (('train', [0, 1, 2]), ('val', [3, 4, 5]), ('trainval', list(range(6))),
                      ('test', [0])):
        with open(osp.join(root, 'ImageSets', f'{name}.txt')) as f:
            assert [int(x) for x in f.read().split()] == ids
    for sub in ('image_2', 'velodyne', 'calib'):
        assert sorted(os.listdir(osp.join(root, 'testing', sub)))[0].startswith('000000')
    calib = kitti_calib(188, 620)
    names = set()
    for idx in range(6):
        img = np.asarray(Image.open(osp.join(root, 'training', 'image_2', f'{idx:06d}.png')))
        assert img.shape == (188, 620, 3)
        pts = np.fromfile(osp.join(root, 'training', 'velodyne', f'{idx:06d}.bin'),
                          dtype=np.float32).reshape(-1, 4)
        assert 0 <= pts[:, 3].min() and pts[:, 3].max() <= 1
        ground = pts[:, 2] < -LIDAR_HEIGHT + 0.05
        assert np.abs(pts[ground, 2] + LIDAR_HEIGHT).max() < 0.06
        above = pts[~ground, :3].astype(np.float64)
        inside = np.zeros(len(above), bool)
        for lab in _labels(root, idx):
            names.add(lab[0])
            h, w, l = (float(v) for v in lab[8:11])
            loc = np.array([float(v) for v in lab[11:14]])
            ry = float(lab[14])
            # bottom centre (camera) -> LiDAR; yaw_lidar = -ry - pi/2
            bottom = VELO_TO_CAM_R.T @ (loc - VELO_TO_CAM_T)
            assert bottom[2] == pytest.approx(-LIDAR_HEIGHT, abs=0.01)
            yaw = -ry - np.pi / 2
            c, s = np.cos(yaw), np.sin(yaw)
            local = (above - bottom - [0, 0, h / 2]) @ np.array([[c, -s, 0], [s, c, 0],
                                                                   [0, 0, 1]])
            inside |= np.all(np.abs(local) <= np.array([l, w, h]) / 2 + 0.05, axis=1)
            # the 2D box is the projection of the 3D box
            x1, y1, x2, y2 = (float(v) for v in lab[4:8])
            centre = np.append(bottom + [0, 0, h / 2], 1)
            uvw = calib['P2'] @ np.append(VELO_TO_CAM_R @ centre[:3] + VELO_TO_CAM_T, 1)
            u, v = uvw[:2] / uvw[2]
            assert x1 - 1 <= u <= x2 + 1 or not 0 <= u < 620
            assert y1 - 1 <= v <= y2 + 1 or not 0 <= v < 188
        # object points in the camera FOV are inside labelled boxes (+5 cm)
        cam = above @ VELO_TO_CAM_R.T + VELO_TO_CAM_T
        uvw = np.concatenate([cam, np.ones((len(cam), 1))], 1) @ calib['P2'].T
        uv = uvw[:, :2] / uvw[:, 2:3]
        fov = (cam[:, 2] > 2) & (uv[:, 0] > 5) & (uv[:, 0] < 615) & (uv[:, 1] > 5) & (
            uv[:, 1] < 183) & (np.linalg.norm(above[:, :2], axis=1) < 50)
        assert fov.sum() > 100
        assert inside[fov].mean() > 0.97
    assert {'Car', 'Pedestrian', 'Cyclist'} <= names


def test_converter_and_kitti_metric_on_ground_truth(synthetic_kitti, synthetic_kitti_infos):
    import mmengine
    import torch
    from mmdet3d.evaluation import KittiMetric
    from mmdet3d.structures import Box3DMode, CameraInstance3DBoxes
    root, _ = synthetic_kitti
    val = mmengine.load(synthetic_kitti_infos['val'])
    assert len(val['data_list']) == 3
    assert osp.exists(osp.join(root, 'training', 'velodyne_reduced', '000000.bin'))
    classes = ['Pedestrian', 'Cyclist', 'Car']
    metric = KittiMetric(ann_file=synthetic_kitti_infos['val'], metric='bbox')
    metric.dataset_meta = dict(classes=classes)
    samples, counts = [], np.zeros(3, int)
    for idx, info in enumerate(val['data_list']):
        labels = _labels(root, info['sample_idx'])
        assert len(info['instances']) == len(labels)
        inst = [i for i in info['instances'] if i['bbox_label'] in (0, 1, 2)]
        for i in inst:
            counts[i['bbox_label']] += 1
        lidar2cam = np.array(info['images']['CAM2']['lidar2cam'])
        cam_boxes = CameraInstance3DBoxes(np.array([i['bbox_3d'] for i in inst]).reshape(-1, 7))
        lidar_boxes = cam_boxes.convert_to(Box3DMode.LIDAR, np.linalg.inv(lidar2cam))
        samples.append(dict(
            sample_idx=idx,  # the dataset index, as mmengine's get_data_info sets it
            # distinct scores: KITTI's PR sampling collapses to one point on ties
            pred_instances_3d=dict(bboxes_3d=lidar_boxes,
                                   scores_3d=torch.linspace(1.0, 0.5, len(inst)),
                                   labels_3d=torch.tensor([i['bbox_label'] for i in inst])),
            pred_instances=dict()))
    assert (counts > 0).all(), counts
    # without CUDA, `import distillbev` installed exact CPU rotated overlaps for KittiMetric
    from mmdet3d.evaluation.functional.kitti_utils import rotate_iou

    from distillbev.evaluation import rotate_iou_cpu_eval
    assert torch.cuda.is_available() or rotate_iou.rotate_iou_gpu_eval is rotate_iou_cpu_eval
    metric.process({}, samples)
    res = metric.compute_metrics(metric.results)
    # A perfect detector on n moderate GT boxes: KITTI's R40 sampling appends one
    # threshold per true positive and advances recall by 1/40 each, so
    # AP40 = 100 * min(n - 1, 40) / 40 (it reaches 100 from 41 boxes per class).
    for label, cls in enumerate(classes):
        n = sum(1 for info in val['data_list'] for i in info['instances']
                if i['bbox_label'] == label and i['difficulty'] in (0, 1))
        expect = 100.0 * min(max(n - 1, 0), 40) / 40
        got = res[f'pred_instances_3d/KITTI/{cls}_2D_AP40_moderate_strict']
        assert got == pytest.approx(expect, abs=0.01), (cls, n, got)
        for kind in ('BEV', '3D'):
            got = res[f'pred_instances_3d/KITTI/{cls}_{kind}_AP40_moderate_strict']
            assert got == pytest.approx(expect, abs=0.01), (cls, kind, got)
