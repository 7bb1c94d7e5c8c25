# Copyright (c) distillbev contributors. All rights reserved.
import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from distillbev.datasets.transforms import MULTIVIEW_META_KEYS, PackMultiViewDet3DInputs
from mmdet3d.models.data_preprocessors import Det3DDataPreprocessor
from mmdet3d.structures import LiDARInstance3DBoxes, LiDARPoints

MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def _results(seed, num_views=2, hw=(32, 64)):
    rng = np.random.RandomState(seed)
    mats = {k: rng.rand(num_views, 4, 4).astype(np.float32)
            for k in ('cam2img', 'lidar2cam', 'cam2lidar', 'lidar2img', 'img_aug_matrix')}
    return dict(
        img=[rng.randint(0, 255, (*hw, 3)).astype(np.uint8) for _ in range(num_views)],
        points=LiDARPoints(torch.rand(7, 5), points_dim=5),
        gt_bboxes_3d=LiDARInstance3DBoxes(torch.rand(2, 9), box_dim=9),
        gt_labels_3d=np.array([0, 3]),
        gt_depth=rng.rand(num_views, *hw).astype(np.float32),
        lidar_aug_matrix=rng.rand(4, 4).astype(np.float32), num_views=num_views,
        img_shape=hw, ori_shape=(90, 160), pad_shape=hw, sample_idx=seed, **mats)


def test_pack_metainfo_and_gt_depth():
    results = _results(0)
    expected = {k: v.copy() for k, v in results.items() if isinstance(v, np.ndarray)}
    imgs = [im.copy() for im in results['img']]
    pack = PackMultiViewDet3DInputs(
        keys=['points', 'img', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth'])
    for key in ('cam2lidar', 'img_aug_matrix', 'lidar_aug_matrix', 'num_views', 'cam2img',
                'lidar2cam', 'lidar2img', 'img_shape', 'pcd_rotation'):
        assert key in MULTIVIEW_META_KEYS
    packed = pack(results)
    sample, inputs = packed['data_samples'], packed['inputs']
    for key in ('cam2img', 'lidar2cam', 'cam2lidar', 'lidar2img', 'img_aug_matrix',
                'lidar_aug_matrix'):
        np.testing.assert_array_equal(sample.metainfo[key], expected[key])
    assert sample.metainfo['num_views'] == 2 and sample.metainfo['img_shape'] == (32, 64)
    assert isinstance(sample.gt_depth, torch.Tensor) and sample.gt_depth.dtype == torch.float32
    np.testing.assert_array_equal(sample.gt_depth.numpy(), expected['gt_depth'])
    assert inputs['img'].shape == (2, 3, 32, 64)
    np.testing.assert_array_equal(inputs['img'][1].permute(1, 2, 0).numpy(), imgs[1])
    assert sample.gt_instances_3d.labels_3d.tolist() == [0, 3]
    # without gt_depth in the results nothing is added
    packed = PackMultiViewDet3DInputs(keys=['img'])(
        {k: v for k, v in _results(1).items() if k != 'gt_depth'})
    assert 'gt_depth' not in packed['data_samples']


def test_data_preprocessor_batches_views_and_keeps_gt_depth():
    pack = PackMultiViewDet3DInputs(keys=['points', 'img', 'gt_depth'])
    packed = [pack(_results(0)), pack(_results(1))]
    raw_imgs = [p['inputs']['img'].clone() for p in packed]
    depths = [p['data_samples'].gt_depth.clone() for p in packed]
    pre = Det3DDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=True, pad_size_divisor=32)
    out = pre(pseudo_collate(packed), training=True)
    imgs = out['inputs']['imgs']
    assert imgs.shape == (2, 2, 3, 32, 64)
    # BGR -> RGB, then (x - mean) / std per RGB channel
    for b in range(2):
        for c in range(3):
            ref = (raw_imgs[b][:, 2 - c].float() - MEAN[c]) / STD[c]
            torch.testing.assert_close(imgs[b, :, c], ref)
    assert len(out['inputs']['points']) == 2
    for b, sample in enumerate(out['data_samples']):
        torch.testing.assert_close(sample.gt_depth, depths[b], rtol=0, atol=0)
        assert 'img_aug_matrix' in sample.metainfo and 'lidar_aug_matrix' in sample.metainfo
        assert sample.metainfo['batch_input_shape'] == (32, 64)


def test_extra_meta_keys_are_appended_to_the_defaults():
    pack = PackMultiViewDet3DInputs(keys=['img'], extra_meta_keys=['can_bus', 'token'])
    assert pack.meta_keys == tuple(MULTIVIEW_META_KEYS) + ('can_bus', )  # no duplicate
    results = dict(_results(0), can_bus=np.arange(18, dtype=np.float32))
    meta = pack(results)['data_samples'].metainfo
    np.testing.assert_array_equal(meta['can_bus'], np.arange(18))
    assert 'can_bus' not in PackMultiViewDet3DInputs(keys=['img'])(
        dict(_results(1), can_bus=np.zeros(18)))['data_samples'].metainfo
