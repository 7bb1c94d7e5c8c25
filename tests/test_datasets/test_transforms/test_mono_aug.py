# Copyright (c) distillbev contributors. All rights reserved.
"""MonoAffineAug (MonoDLE's flip + scale/shift crop + resize) on generated KITTI frames through
the stock KittiDataset in monocular mode: RGB, depth image, 2D and 3D targets and the camera
stay consistent."""
import numpy as np
import pytest

from distillbev.datasets.transforms import MonoAffineAug


def _mono_results(root, index=0):
    from mmdet3d.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet3d')
    ds = DATASETS.build(dict(
        type='KittiDataset', data_root=root, ann_file='kitti_infos_train.pkl',
        data_prefix=dict(img='training/image_2'), load_type='fov_image_based',
        modality=dict(use_lidar=False, use_camera=True), box_type_3d='Camera', test_mode=False,
        metainfo=dict(classes=['Pedestrian', 'Cyclist', 'Car']),
        pipeline=[dict(type='LoadImageFromFileMono3D'),
                  dict(type='LoadAnnotations3D', with_bbox=True, with_label=True,
                       with_attr_label=False, with_bbox_3d=True, with_label_3d=True,
                       with_bbox_depth=True),
                  dict(type='LoadKittiDepthImage')]))
    return ds.pipeline(ds.get_data_info(index))


def _project(cam2img, xyz):
    homo = np.c_[xyz, np.ones(len(xyz))] @ np.asarray(cam2img, dtype=np.float64).T
    return homo[:, :2] / homo[:, 2:3], homo[:, 2]


@pytest.mark.parametrize('flip,s,shift', [(False, 1.0, (0, 0)), (True, 0.8, (12.0, -5.0)),
                                          (False, 1.3, (-20.0, 3.0))])
def test_targets_and_camera_follow_the_affine(synthetic_kitti, synthetic_kitti_infos, flip, s,
                                              shift):
    before = _mono_results(synthetic_kitti[0])
    h, w = before['img'].shape[:2]
    assert len(before['gt_bboxes_3d']) > 0
    # the stock annotations: each 3D centre projects onto its centers_2d with cam2img
    uv, d = _project(before['cam2img'], before['gt_bboxes_3d'].gravity_center.numpy())
    np.testing.assert_allclose(uv, before['centers_2d'], atol=1e-3)
    depth_before = before['depth_img'].copy()
    aug = MonoAffineAug(resolution=(int(w * 1.5), int(h * 1.5)))
    centre = np.array([w / 2 + shift[0], h / 2 + shift[1]])
    out = aug.apply(_mono_results(synthetic_kitti[0]), flip, s, centre)
    assert out['img'].shape == (int(h * 1.5), int(w * 1.5), 3)
    assert out['depth_img'].shape == out['img'].shape[:2]
    # 3D centres (camera z scaled by s, mirrored by the flip) project onto the moved centers_2d
    centres = out['gt_bboxes_3d'].gravity_center.numpy()
    uv, depth = _project(out['cam2img'], centres)
    np.testing.assert_allclose(uv, out['centers_2d'], atol=1e-3)
    np.testing.assert_allclose(out['depths'], before['depths'] * s, rtol=1e-5)
    np.testing.assert_allclose(centres[:, 2], before['gt_bboxes_3d'].gravity_center[:, 2] * s,
                               rtol=1e-5)
    # centers_2d are the affine image of the old ones
    full = out['mono_affine'].astype(np.float64)
    np.testing.assert_allclose(out['centers_2d'], before['centers_2d'] @ full[:2, :2].T +
                               full[:2, 2], atol=1e-3)
    # the depth image moved with the RGB: every LiDAR pixel lands, times s, where the affine
    # sends its centre (the output is a zoom-in here: every input pixel has an output pixel)
    rows, cols = np.nonzero(depth_before)
    dst = np.c_[cols + 0.5, rows + 0.5] @ full[:2, :2].T + full[:2, 2]
    ok = (dst[:, 0] >= 0) & (dst[:, 0] < out['img'].shape[1]) & (dst[:, 1] >= 0) & \
        (dst[:, 1] < out['img'].shape[0])
    assert ok.sum() > 50
    got = out['depth_img'][np.floor(dst[ok, 1]).astype(int), np.floor(dst[ok, 0]).astype(int)]
    np.testing.assert_allclose(got, depth_before[rows[ok], cols[ok]] * s, rtol=1e-5)
    assert out['mono_crop'] == (s != 1.0 or shift != (0, 0))


def test_random_draws_and_test_mode(synthetic_kitti, synthetic_kitti_infos):
    np.random.seed(3)
    aug = MonoAffineAug(resolution=(320, 96), flip_prob=0.5, crop_prob=1.0, scale=0.4, shift=0.1)
    draws = [aug.sample_params(620, 188) for _ in range(50)]
    scales = np.array([d[1] for d in draws])
    assert 0.6 <= scales.min() and scales.max() <= 1.4 and scales.std() > 0.1
    assert 10 < sum(d[0] for d in draws) < 40
    test = MonoAffineAug(resolution=(320, 96), test_mode=True)
    out = test(_mono_results(synthetic_kitti[0]))
    assert out['img'].shape == (96, 320, 3) and not out['mono_crop']
    uv, _ = _project(out['cam2img'], out['gt_bboxes_3d'].gravity_center.numpy())
    np.testing.assert_allclose(uv, out['centers_2d'], atol=1e-3)
