# Copyright (c) distillbev contributors. All rights reserved.
"""The synthetic nuScenes-layout dataset through devkit, stock converter and metric."""
import os.path as osp

import numpy as np
import pytest
from nuscenes.nuscenes import NuScenes
from nuscenes.utils import splits
from nuscenes.utils.geometry_utils import BoxVisibility, view_points
from PIL import Image
from pyquaternion import Quaternion

from distillbev.datasets.synthetic import NUS_DETECTION_CONFIG
from distillbev.datasets.synthetic.nuscenes import (CAMERA_RIG, CAMERAS, LIDAR_ROTATION,
                                                    LIDAR_TRANSLATION, camera_to_ego,
                                                    scaled_intrinsics)
from distillbev.datasets.synthetic.render import SUN_DIR, rot_z

CLASSES = ('car', 'truck', 'trailer', 'bus', 'construction_vehicle', 'bicycle', 'motorcycle',
           'pedestrian', 'traffic_cone', 'barrier')


@pytest.fixture(scope='module')
def nusc(synthetic_nus):
    root, _ = synthetic_nus
    return NuScenes(version='v1.0-trainval', dataroot=root, verbose=False)


def _to_frame(pts, rec, inverse=True):
    """Global -> record frame (inverse=True) of (N, 3) points."""
    rot = Quaternion(rec['rotation']).rotation_matrix
    if inverse:
        return (pts - np.array(rec['translation'])) @ rot
    return pts @ rot.T + np.array(rec['translation'])


def test_devkit_tables(nusc, synthetic_nus):
    root, summary = synthetic_nus
    assert len(nusc.scene) == 2 and len(nusc.sample) == 6
    names = [s['name'] for s in nusc.scene]
    assert names[0] in splits.train and names[1] in splits.val
    for scene in nusc.scene:
        tok, n = scene['first_sample_token'], 0
        while tok:
            sample = nusc.get('sample', tok)
            assert set(sample['data']) == set(CAMERAS) | {'LIDAR_TOP'}
            path, boxes, _ = nusc.get_sample_data(sample['data']['LIDAR_TOP'])
            assert len(boxes) == len(sample['anns']) > 10
            pts = np.fromfile(path, dtype=np.float32).reshape(-1, 5)
            assert pts.shape[0] > 5000
            assert set(np.unique(pts[:, 4]).astype(int)) <= set(range(32))
            for cam in CAMERAS:
                sd = nusc.get('sample_data', sample['data'][cam])
                img = Image.open(osp.join(root, sd['filename']))
                assert img.size == (352, 128) == (sd['width'], sd['height'])
            n += 1
            tok = sample['next']
        assert n == scene['nbr_samples'] == 3
    # LiDAR sample_data chain: keyframe, 2 sweeps, keyframe, ... (20 Hz)
    first = nusc.get('sample', nusc.scene[0]['first_sample_token'])
    sd = nusc.get('sample_data', first['data']['LIDAR_TOP'])
    chain = []
    while sd:
        chain.append(sd)
        sd = nusc.get('sample_data', sd['next']) if sd['next'] else None
    assert [c['is_key_frame'] for c in chain] == [True, False, False] * 2 + [True]
    assert all(b['timestamp'] - a['timestamp'] == pytest.approx(500000 / 3, abs=1)
               for a, b in zip(chain, chain[1:]))
    assert all(osp.exists(osp.join(root, c['filename'])) for c in chain)
    assert 'sweeps/LIDAR_TOP' in chain[1]['filename']
    # every annotation: instance chain, attribute rules, velocity
    cats = {a['category_name'] for a in nusc.sample_annotation}
    assert {'vehicle.car', 'vehicle.truck', 'human.pedestrian.adult',
            'movable_object.barrier'} <= cats
    for ann in nusc.sample_annotation:
        attrs = [nusc.get('attribute', t)['name'] for t in ann['attribute_tokens']]
        if ann['category_name'] == 'vehicle.car':
            assert len(attrs) == 1 and attrs[0].startswith('vehicle.')
        if ann['category_name'] == 'movable_object.barrier':
            assert attrs == []
        if ann['prev']:
            assert nusc.get('sample_annotation', ann['prev'])['instance_token'] == \
                ann['instance_token']
    moving = [a for a in nusc.sample_annotation if a['prev'] and a['next']
              and a['attribute_tokens'] and nusc.get(
                  'attribute', a['attribute_tokens'][0])['name'] == 'vehicle.moving']
    assert moving
    v = nusc.box_velocity(moving[0]['token'])
    yaw = Quaternion(moving[0]['rotation']).yaw_pitch_roll[0]
    assert np.linalg.norm(v[:2]) > 0.5
    # moving along the heading
    assert abs(np.cross([np.cos(yaw), np.sin(yaw)], v[:2])) < 1e-3 * np.linalg.norm(v[:2]) + 1e-6


def test_calibration_matches_rig(nusc):
    sample = nusc.sample[0]
    for cam in CAMERAS:
        sd = nusc.get('sample_data', sample['data'][cam])
        cs = nusc.get('calibrated_sensor', sd['calibrated_sensor_token'])
        np.testing.assert_allclose(cs['camera_intrinsic'],
                                   scaled_intrinsics(CAMERA_RIG[cam][2], CAMERA_RIG[cam][3],
                                                     128, 352))
        rot = Quaternion(cs['rotation']).rotation_matrix
        # optical axis (camera z) points at the rig yaw, horizontally
        yaw = np.deg2rad(CAMERA_RIG[cam][1])
        np.testing.assert_allclose(rot[:, 2], [np.cos(yaw), np.sin(yaw), 0], atol=1e-9)
        np.testing.assert_allclose(rot[:, 1], [0, 0, -1], atol=1e-9)  # image y is down
    # focal scaled from the real 1266 px at 1600 px width
    assert scaled_intrinsics(1266.4, (816.3, 491.5), 128, 352)[0, 0] == pytest.approx(278.608)
    sd = nusc.get('sample_data', sample['data']['LIDAR_TOP'])
    cs = nusc.get('calibrated_sensor', sd['calibrated_sensor_token'])
    rot = Quaternion(cs['rotation']).rotation_matrix
    np.testing.assert_allclose(rot @ [1, 0, 0], [0, -1, 0], atol=1e-9)  # LiDAR x = ego right
    np.testing.assert_allclose(rot @ [0, 1, 0], [1, 0, 0], atol=1e-9)   # LiDAR y = ego fwd


def _face_colors(obj):
    """Every shaded colour (K, 3) the renderer can give the object's faces."""
    normals = np.concatenate([np.eye(3), -np.eye(3)]) @ rot_z(obj.yaw).T
    lam = np.clip(normals @ SUN_DIR, 0, 1)
    return (obj.colors[:, None, :] * (0.4 + 0.6 * lam)[None, :, None] + 0.04).reshape(-1, 3)


def test_boxes_project_onto_drawn_objects(nusc, synthetic_nus):
    root, summary = synthetic_nus
    checked, good = 0, 0
    for scene in nusc.scene:
        world, _ = summary['worlds'][scene['name']]
        for sample in [s for s in nusc.sample if s['scene_token'] == scene['token']]:
            t = (sample['timestamp'] - nusc.get('sample', scene['first_sample_token'])[
                'timestamp']) / 1e6
            for cam in CAMERAS:
                path, boxes, k = nusc.get_sample_data(sample['data'][cam],
                                                      box_vis_level=BoxVisibility.ALL)
                img = np.asarray(Image.open(path)).astype(np.float64) / 255
                for box in boxes:
                    ann = nusc.get('sample_annotation', box.token)
                    if ann['visibility_token'] != '4' or box.center[2] > 30:
                        continue
                    # match the annotation to the generator's object by position
                    d = [np.linalg.norm(o.center_at(t) - ann['translation'])
                         for o in world.objects]
                    obj = world.objects[int(np.argmin(d))]
                    assert min(d) < 1e-6
                    u, v = view_points(box.center[:, None], k, True)[:2, 0]
                    pix = img[int(v) - 1:int(v) + 2, int(u) - 1:int(u) + 2].reshape(-1, 3)
                    dist = np.linalg.norm(pix[:, None] - _face_colors(obj)[None], axis=2).min()
                    checked += 1
                    good += dist < 0.12
    assert checked >= 10
    assert good >= 0.85 * checked, (good, checked)


def test_lidar_points_on_annotated_boxes(nusc):
    from nuscenes.utils.geometry_utils import points_in_box
    for sample in nusc.sample:
        sd = nusc.get('sample_data', sample['data']['LIDAR_TOP'])
        cs = nusc.get('calibrated_sensor', sd['calibrated_sensor_token'])
        pose = nusc.get('ego_pose', sd['ego_pose_token'])
        pts = np.fromfile(nusc.get_sample_data_path(sd['token']),
                          dtype=np.float32).reshape(-1, 5)[:, :3].astype(np.float64)
        glob = _to_frame(_to_frame(pts, cs, False), pose, False)
        assert glob[:, 2].min() > -0.06  # nothing below the ground (z = 0)
        assert (np.abs(glob[:, 2]) < 0.05).mean() > 0.3  # many returns are ground
        above = glob[:, 2] > 0.08
        near = np.linalg.norm(glob[:, :2] - pose['translation'][:2], axis=1) < 50
        _, boxes, _ = nusc.get_sample_data(sd['token'])
        inside_any = np.zeros(len(pts), bool)
        for box in boxes:
            ann = nusc.get('sample_annotation', box.token)
            exact = points_in_box(box, pts.T)
            assert exact.sum() == ann['num_lidar_pts']
            inside_any |= points_in_box(box, pts.T, wlh_factor=1.0) | _in_enlarged(box, pts, 0.05)
        # every object hit (above the ground) lies in an annotated box + 5 cm
        assert (above & near).sum() > 200
        assert inside_any[above & near].all()
        assert sum(nusc.get('sample_annotation', a)['num_lidar_pts'] > 0
                   for a in sample['anns']) > 5


def _in_enlarged(box, pts, margin):
    local = (pts - box.center) @ box.rotation_matrix
    half = np.array([box.wlh[1], box.wlh[0], box.wlh[2]]) / 2 + margin
    return np.all(np.abs(local) <= half, axis=1)


def test_converter_infos_match_ground_truth(nusc, synthetic_nus_infos):
    import mmengine
    val_scene = nusc.scene[1]['token']
    for split, infos_path in synthetic_nus_infos.items():
        data = mmengine.load(infos_path)
        assert data['metainfo']['version'] == 'v1.0-trainval'
        assert len(data['data_list']) == 3
        for info in data['data_list']:
            sample = nusc.get('sample', info['token'])
            assert (sample['scene_token'] == val_scene) == (split == 'val')
            assert set(info['images']) == set(CAMERAS)
            lidar2ego = np.eye(4)
            lidar2ego[:3, :3] = LIDAR_ROTATION.rotation_matrix
            lidar2ego[:3, 3] = LIDAR_TRANSLATION
            np.testing.assert_allclose(info['lidar_points']['lidar2ego'], lidar2ego, atol=1e-6)
            for cam in CAMERAS:
                im = info['images'][cam]
                np.testing.assert_allclose(im['cam2img'], scaled_intrinsics(
                    CAMERA_RIG[cam][2], CAMERA_RIG[cam][3], 128, 352), atol=1e-9)
                expect = np.linalg.inv(camera_to_ego(cam)) @ lidar2ego
                np.testing.assert_allclose(im['lidar2cam'], expect, atol=1e-5)
            sd = nusc.get('sample_data', sample['data']['LIDAR_TOP'])
            pose = nusc.get('ego_pose', sd['ego_pose_token'])
            anns = [nusc.get('sample_annotation', a) for a in sample['anns']]
            assert len(info['instances']) == len(anns)
            for inst, ann in zip(info['instances'], anns):
                c_ego = _to_frame(np.array([ann['translation']]), pose)[0]
                c_lidar = (c_ego - LIDAR_TRANSLATION) @ LIDAR_ROTATION.rotation_matrix
                np.testing.assert_allclose(inst['bbox_3d'][:3], c_lidar, atol=1e-6)
                w, l, h = ann['size']
                np.testing.assert_allclose(inst['bbox_3d'][3:6], [l, w, h], atol=1e-9)
                yaw_g = Quaternion(ann['rotation']).yaw_pitch_roll[0]
                yaw_e = Quaternion(pose['rotation']).yaw_pitch_roll[0]
                yaw_l = yaw_g - yaw_e + np.pi / 2  # LiDAR frame is the ego turned by -90 deg
                dy = (inst['bbox_3d'][6] - yaw_l + np.pi) % (2 * np.pi) - np.pi
                assert abs(dy) < 1e-6
                name = ann['category_name']
                det = {'vehicle.bus.rigid': 'bus', 'vehicle.construction':
                       'construction_vehicle', 'human.pedestrian.adult': 'pedestrian',
                       'movable_object.trafficcone': 'traffic_cone'}.get(
                           name, name.split('.')[-1])
                assert inst['bbox_label_3d'] == CLASSES.index(det)
                assert inst['num_lidar_pts'] == ann['num_lidar_pts']
            # all earlier LiDAR frames of the scene (2 sweeps + keyframe per interval)
            n_prev, prev = 0, sd['prev']
            while prev:
                n_prev, prev = n_prev + 1, nusc.get('sample_data', prev)['prev']
            assert len(info.get('lidar_sweeps', [])) == min(n_prev, 10)
            if n_prev:
                assert info['lidar_sweeps'][0]['sample_data_token'] == sd['prev']


def test_stock_dataset_and_metric_on_ground_truth(synthetic_nus, synthetic_nus_infos):
    import torch
    from mmdet3d.evaluation import NuScenesMetric
    from mmdet3d.registry import DATASETS
    from mmdet3d.structures import LiDARInstance3DBoxes
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet3d')
    root, _ = synthetic_nus
    cfg = Config.fromfile(osp.join(osp.dirname(__file__), '../../../configs/_base_/datasets/'
                                   'synthetic-nus-3d.py'))
    assert cfg.val_evaluator.eval_version == NUS_DETECTION_CONFIG
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.update(data_root=root, pipeline=[], test_mode=False)
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == 3
    metric = NuScenesMetric(data_root=root, ann_file=osp.join(root, 'nuscenes_infos_val.pkl'),
                            eval_version=NUS_DETECTION_CONFIG)
    metric.dataset_meta = dataset.metainfo
    assert metric.dataset_meta['version'] == 'v1.0-trainval'
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        ann = info['ann_info']
        boxes = ann['gt_bboxes_3d']  # LiDARInstance3DBoxes, 9 dims with velocity
        keep = torch.as_tensor(ann['num_lidar_pts'] > 0)
        samples.append(dict(
            sample_idx=info['sample_idx'],
            pred_instances_3d=dict(
                bboxes_3d=LiDARInstance3DBoxes(boxes.tensor[keep], box_dim=boxes.box_dim),
                scores_3d=torch.ones(int(keep.sum())),
                labels_3d=torch.as_tensor(ann['gt_labels_3d'])[keep]),
            pred_instances=dict()))
    metric.process({}, samples)
    res = metric.compute_metrics(metric.results)
    m_ap = res['pred_instances_3d_NuScenes/mAP']
    # classes with evaluable GT (devkit: in class range, with LiDAR points)
    from nuscenes import NuScenes
    from nuscenes.eval.common.loaders import add_center_dist, filter_eval_boxes, load_gt
    from nuscenes.eval.detection.config import config_factory
    from nuscenes.eval.detection.data_classes import DetectionBox
    nusc = NuScenes(version='v1.0-trainval', dataroot=root, verbose=False)
    gt = filter_eval_boxes(nusc, add_center_dist(nusc, load_gt(nusc, 'val', DetectionBox)),
                           config_factory(NUS_DETECTION_CONFIG).class_range)
    present = {b.detection_name for b in gt.all}
    assert len(present) >= 8, present
    for c in CLASSES:
        ap = res[f'pred_instances_3d_NuScenes/{c}_AP_dist_0.5']
        assert ap > 0.99 if c in present else ap == 0.0, (c, ap)
    assert m_ap == pytest.approx(len(present) / len(CLASSES), abs=0.01)
