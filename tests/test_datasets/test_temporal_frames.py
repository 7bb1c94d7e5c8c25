# Copyright (c) distillbev contributors. All rights reserved.
"""TemporalFrames: the previous key frame with the current frame's augmentation, and the
current -> previous map under which a static object's boxes of the two frames coincide."""
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from distillbev.datasets.temporal_infos import add_temporal_infos

BASE = 'configs/_base_/datasets/synthetic-nus-3d.py'


def _pipeline():
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
                        'bev_aug_params', 'img_aug_params', 'lidar2img')),
    ]


@pytest.fixture()
def frames(synthetic_nus, synthetic_nus_infos, tmp_path):
    from mmdet3d.registry import DATASETS
    root, _ = synthetic_nus
    shutil.copy(f'{root}/nuscenes_infos_train.pkl', tmp_path / 'train.pkl')
    add_temporal_infos(root, 'v1.0-trainval', [str(tmp_path / 'train.pkl')])
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(BASE).train_dataloader.dataset
    cfg.update(data_root=root, ann_file=str(tmp_path / 'train_temporal.pkl'),
               pipeline=_pipeline(), test_mode=False, filter_empty_gt=False)
    cfg.pop('indices', None)
    return DATASETS.build(dict(type='TemporalFrames', dataset=cfg, num_prev=1))


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
