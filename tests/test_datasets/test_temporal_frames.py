# Copyright (c) distillbev contributors. All rights reserved.
"""TemporalFrames: the previous key frame with the current frame's augmentation, and the
current -> previous map under which a static object's boxes of the two frames coincide; BEVFormer's
CAN-bus deltas along the queue (hand-computed, and through the wrapper on generated data)."""
import math
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from pyquaternion import Quaternion

from distillbev.datasets.temporal import can_bus_delta, can_bus_patch_angle
from distillbev.datasets.temporal_infos import add_temporal_infos

BASE = 'configs/_base_/datasets/synthetic-nus-3d.py'


def _pipeline(extra_meta_keys=()):
    return [
        dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=5),
        dict(type='LoadMultiViewImagesWithCalib', num_views=6),
        dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True),
        dict(type='MultiViewImageAffineAug', final_size=(64, 176), resize_lim=(-0.06, 0.11),
             resize_relative=True, rot_lim=(-5.4, 5.4), flip_prob=0.5),
        dict(type='GlobalBEVAug3D', rot_range=(-0.4, 0.4), scale_range=(0.95, 1.05)),
        dict(type='PackMultiViewDet3DInputs',
             keys=['img', 'points', 'gt_bboxes_3d', 'gt_labels_3d'],
             meta_keys=('token', 'sample_idx', 'lidar_aug_matrix', 'img_aug_matrix',
                        'bev_aug_params', 'img_aug_params', 'lidar2img'),
             extra_meta_keys=extra_meta_keys),
    ]


def _frames(root, tmp_path, num_prev=1, extra_meta_keys=()):
    from mmdet3d.registry import DATASETS
    shutil.copy(f'{root}/nuscenes_infos_train.pkl', tmp_path / 'train.pkl')
    add_temporal_infos(root, 'v1.0-trainval', [str(tmp_path / 'train.pkl')])
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(BASE).train_dataloader.dataset
    cfg.update(data_root=root, ann_file=str(tmp_path / 'train_temporal.pkl'),
               pipeline=_pipeline(extra_meta_keys), test_mode=False, filter_empty_gt=False)
    cfg.pop('indices', None)
    return DATASETS.build(dict(type='TemporalFrames', dataset=cfg, num_prev=num_prev))


@pytest.fixture()
def frames(synthetic_nus, synthetic_nus_infos, tmp_path):
    return _frames(synthetic_nus[0], tmp_path)


def test_previous_frame_shares_the_augmentation_and_lines_up(frames):
    np.random.seed(0)
    checked = 0
    for idx in range(len(frames)):
        item = frames[idx]
        meta = item['data_samples'].metainfo
        prev = meta['prev_frames'][0]
        assert prev['bev_aug_params'] == meta['bev_aug_params']
        assert prev['img_aug_params'] == meta['img_aug_params']
        np.testing.assert_allclose(prev['lidar_aug_matrix'], meta['lidar_aug_matrix'])
        np.testing.assert_allclose(prev['img_aug_matrix'], meta['img_aug_matrix'])
        assert item['inputs']['prev_img'][0].shape == item['inputs']['img'].shape
        if meta['prev_is_current'][0]:  # a scene's first frame repeats itself
            np.testing.assert_allclose(meta['curr2prev'][0], np.eye(4), atol=1e-5)
            continue
        # static boxes (no velocity) of the current frame, carried into the previous frame's
        # augmented LiDAR frame, land on that frame's boxes
        cur = item['data_samples'].gt_instances_3d.bboxes_3d
        static = cur.tensor[:, 7:9].norm(dim=1) < 1e-3
        prev_out = frames.dataset.pipeline(dict(
            frames.dataset.get_data_info(frames._index[frames.get_data_info(
                frames._index[meta['token']])['prev']]),
            replay_bev_aug_params=meta['bev_aug_params'],
            replay_img_aug_params=meta['img_aug_params']))
        prev_centres = prev_out['data_samples'].gt_instances_3d.bboxes_3d.gravity_center
        m = torch.as_tensor(meta['curr2prev'][0], dtype=torch.float32)
        moved = cur.gravity_center[static] @ m[:3, :3].T + m[:3, 3]
        dist = torch.cdist(moved, prev_centres).min(dim=1).values
        # most static objects are in both frames (the others entered the range or the view
        # between the two key frames): those land on their previous box to 1e-3 m ...
        assert len(dist) > 0 and (dist < 1e-3).float().mean() >= 0.7, dist
        # ... which the ego motion alone does not give: without the map they are metres apart
        raw = torch.cdist(cur.gravity_center[static], prev_centres).min(dim=1).values
        assert raw[dist < 1e-3].min() > 0.5
        checked += 1
    assert checked >= 2


def _stored(position, yaw_deg, seed):
    """An 18-d vector as the temporal infos store it: position, quaternion (w, x, y, z) of a
    yaw about z, then 9 motion values, then the two zeros."""
    rest = np.random.default_rng(seed).uniform(-3, 3, 9)
    return np.r_[position, list(Quaternion(axis=[0, 0, 1], degrees=yaw_deg)), rest, 0.0, 0.0]


def test_can_bus_delta_by_hand():
    prev = _stored([100.0, 50.0, 1.0], 30.0, seed=0)
    cur = _stored([103.0, 54.0, 1.5], 45.0, seed=1)
    out = can_bus_delta(cur, prev)
    assert out.shape == (18, ) and out.dtype == np.float32
    np.testing.assert_allclose(out[:3], [3.0, 4.0, 0.5], atol=1e-5)  # current - previous
    assert out[17] == pytest.approx(15.0, abs=1e-4)  # 45 - 30 degrees
    assert out[16] == pytest.approx(math.radians(45.0), abs=1e-6)  # absolute, radians
    np.testing.assert_allclose(out[3:16], cur[3:16], atol=1e-6)  # unchanged
    # the first frame of a queue: no predecessor, position and angle deltas 0
    first = can_bus_delta(cur)
    np.testing.assert_array_equal(first[[0, 1, 2, 17]], 0.0)
    assert first[16] == pytest.approx(math.radians(45.0), abs=1e-6)
    np.testing.assert_allclose(first[3:16], cur[3:16], atol=1e-6)
    # the patch angle is in [0, 360): a yaw of -30 degrees is 330; the quaternion's norm does
    # not matter; the stored vector is not modified
    assert can_bus_patch_angle(_stored([0, 0, 0], -30.0, 2)) == pytest.approx(330.0)
    scaled = _stored([0, 0, 0], 120.0, 3)
    scaled[3:7] *= 2.5
    assert can_bus_patch_angle(scaled) == pytest.approx(120.0)
    assert cur[16] == cur[17] == 0.0
    # heading 350 -> 10 degrees: current - previous, unwrapped (the published convention)
    assert can_bus_delta(_stored([0, 0, 0], 10.0, 4), _stored([0, 0, 0], -10.0, 5))[17] == (
        pytest.approx(-340.0, abs=1e-4))


def test_frames_carry_can_bus_deltas_along_the_queue(synthetic_nus, synthetic_nus_infos,
                                                     tmp_path):
    frames = _frames(synthetic_nus[0], tmp_path, num_prev=2, extra_meta_keys=['can_bus'])
    infos = {frames.get_data_info(i)['token']: frames.get_data_info(i)
             for i in range(len(frames))}
    seen_first = seen_moving = 0
    for idx in range(len(frames)):
        meta = frames[idx]['data_samples'].metainfo
        info = infos[meta['token']]
        chain = [info]  # current, then previous infos (a scene start repeats its first frame)
        for _ in range(2):
            chain.append(infos.get(chain[-1]['prev'], chain[-1]))
        vectors = [meta['can_bus']] + [m['can_bus'] for m in meta['prev_frames']]
        for i, vec in enumerate(vectors):
            stored = np.asarray(chain[i]['can_bus'])
            assert vec.shape == (18, ) and vec.dtype == np.float32
            if i == 2:  # the oldest frame of the queue: no predecessor
                np.testing.assert_array_equal(vec[[0, 1, 2, 17]], 0.0)
            else:
                before = np.asarray(chain[i + 1]['can_bus'])
                np.testing.assert_allclose(vec[:3], stored[:3] - before[:3], atol=1e-3)
                np.testing.assert_allclose(vec[17], 0.0, atol=1e-3)  # the ego drives straight
            np.testing.assert_allclose(vec[3:16], stored[3:16], atol=1e-5)
            assert vec[16] == pytest.approx(math.radians(can_bus_patch_angle(stored)), abs=1e-5)
        if info['frame_idx'] == 0:  # a scene's first frame: its own predecessor
            assert meta['prev_is_current'] == [True, True]
            np.testing.assert_array_equal(meta['can_bus'][[0, 1, 2, 17]], 0.0)
            seen_first += 1
        elif not meta['prev_is_current'][0]:  # the generated ego moves between key frames
            assert np.linalg.norm(meta['can_bus'][:2]) > 0.5
            seen_moving += 1
    assert seen_first and seen_moving
    # a packer without 'can_bus' in its meta_keys: no vector anywhere
    (tmp_path / 'plain').mkdir()
    plain = _frames(synthetic_nus[0], tmp_path / 'plain', num_prev=2)
    meta = plain[len(plain) - 1]['data_samples'].metainfo
    assert 'can_bus' not in meta and all('can_bus' not in m for m in meta['prev_frames'])
