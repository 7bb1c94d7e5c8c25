# Copyright (c) distillbev contributors. All rights reserved.
"""The depth-image teacher's input: MonoDistill's encoding (hand values), RGB/depth alignment
under MonoAffineAug (a LiDAR point's augmented pixel holds that point's depth, times the crop
scale, in the encoded teacher input), packing and batching next to the RGB."""
import numpy as np
import pytest
import torch
from mmdet3d.structures import Det3DDataSample

from distillbev.datasets.transforms import (DepthImageInput, MonoAffineAug,
                                            PackDepthImageInputs, lidar_depth_image)
from distillbev.datasets.transforms.depth_image_input import (decode_depth_image,
                                                              encode_depth_image)
from distillbev.models.data_preprocessors import DepthImageDet3DDataPreprocessor

H, W = 40, 100
K = np.array([[50., 0., 50., 0.], [0., 50., 20., 0.], [0., 0., 1., 0.], [0., 0., 0., 1.]])


def _scene():
    """Points (in a frame where lidar2img = K) at the centres of sparse pixels, 7 px apart."""
    rows, cols = np.meshgrid(np.arange(2, H, 7), np.arange(3, W, 7), indexing='ij')
    rows, cols = rows.ravel(), cols.ravel()
    depth = 5.0 + 0.37 * np.arange(len(rows))
    u, v = cols + 0.5, rows + 0.5
    pts = np.stack([(u - 50.) * depth / 50., (v - 20.) * depth / 50., depth], 1)
    dimg = lidar_depth_image(pts, K, H, W)
    assert np.count_nonzero(dimg) == len(pts)
    np.testing.assert_allclose(dimg[rows, cols], depth, rtol=1e-6)
    results = dict(img=np.zeros((H, W, 3), np.uint8), depth_img=dimg, cam2img=K.copy())
    return results, u, v, depth


def test_encoding_hand_values():
    enc = encode_depth_image(np.array([[8.0, 0.0]]))
    assert enc.shape == (1, 2, 3) and enc.dtype == np.float32
    np.testing.assert_allclose(enc[0, 0], [(0.1 - 8.765) / 11.275] * 3, rtol=1e-6)  # -0.768514
    np.testing.assert_allclose(enc[0, 0, 0], -0.7685144, rtol=1e-6)
    np.testing.assert_allclose(enc[0, 1], [-8.765 / 11.275] * 3, rtol=1e-6)  # no return
    # MonoSKD's / 80 only
    np.testing.assert_allclose(encode_depth_image(np.array([[8.0]]), mean=0., std=1.,
                                                  channels=1), [[[0.1]]])
    np.testing.assert_allclose(decode_depth_image(enc), [[[8.0] * 3, [0.0] * 3]], atol=1e-4)


@pytest.mark.parametrize('flip,s,shift,res', [
    (False, 1.0, (0., 0.), (150, 60)),    # resize only (x1.5)
    (True, 0.8, (6., -3.), (120, 48)),    # flip + zoom-in crop
    (True, 1.3, (-5., 2.), (100, 40)),    # flip + zoom-out crop (a < 1)
])
def test_lidar_point_lands_with_its_depth_in_the_teacher_input(flip, s, shift, res):
    results, u, v, depth = _scene()
    aug = MonoAffineAug(resolution=res)
    out = aug.apply(results, flip, s, np.array([W / 2 + shift[0], H / 2 + shift[1]]))
    out = DepthImageInput(out_key='depth_input')(out)
    enc = out['depth_input']
    assert enc.shape == (res[1], res[0], 3) and out['img'].shape[:2] == enc.shape[:2]
    full = out['mono_affine'].astype(np.float64)
    uv = np.c_[u, v] @ full[:2, :2].T + full[:2, 2]  # the points' augmented pixels
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < res[0]) & (uv[:, 1] >= 0) & (uv[:, 1] < res[1])
    assert inside.sum() >= 20
    col, row = np.floor(uv[inside, 0]).astype(int), np.floor(uv[inside, 1]).astype(int)
    got = decode_depth_image(enc[row, col])  # (N, 3) metres
    want = depth[inside] * s
    a = full[0, 0] if not flip else -full[0, 0]
    if a >= 1:  # zoom-in / resize: every point is in the teacher input, at its pixel
        for c in range(3):
            np.testing.assert_allclose(got[:, c], want, rtol=1e-4)
    else:  # zoom-out (nearest warp of a sparse map): a point may be skipped, never misplaced
        hit = np.abs(got[:, 0] - want) < 1e-3 * want
        assert hit.mean() > 0.5
        nz_rows, nz_cols = np.nonzero(out['depth_img'])
        placed = {(r, c): d for r, c, d in zip(row, col, want)}
        for r, c in zip(nz_rows, nz_cols):
            assert (r, c) in placed
            assert out['depth_img'][r, c] == pytest.approx(placed[(r, c)], rel=1e-4)
    # the RGB's camera: the 3D points (camera z times s, x mirrored by the flip) project there
    cam = np.stack([(u - 50.) * depth / 50., (v - 20.) * depth / 50., depth], 1)
    if flip:
        cam[:, 0] *= -1
    cam[:, 2] *= s
    proj = np.c_[cam, np.ones(len(cam))] @ np.asarray(out['cam2img']).T
    np.testing.assert_allclose(proj[:, :2] / proj[:, 2:3], uv, atol=1e-6)


def test_pack_and_batch_next_to_the_rgb():
    results, *_ = _scene()
    results['img'] = np.random.RandomState(0).randint(0, 255, (H, W, 3)).astype(np.uint8)
    out = DepthImageInput()(MonoAffineAug(resolution=(96, 32), test_mode=True)(results))
    packed = PackDepthImageInputs(keys=['img', 'depth_input', 'gt_depth'],
                                  meta_keys=['cam2img'])(out)
    enc = packed['inputs']['depth_img']
    assert enc.shape == (3, 32, 96) and enc.dtype == torch.float32
    sample = packed['data_samples']
    assert isinstance(sample, Det3DDataSample)
    assert torch.equal(sample.gt_depth[0], torch.from_numpy(out['depth_img']))
    pre = DepthImageDet3DDataPreprocessor(mean=[123.675, 116.28, 103.53],
                                          std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                                          pad_size_divisor=32)
    data = dict(inputs=dict(img=[packed['inputs']['img']] * 2, depth_img=[enc, enc]),
                data_samples=[sample, sample])
    batch = pre(data, training=True)
    assert set(batch['inputs']) == {'imgs', 'depth_imgs'}
    assert batch['inputs']['depth_imgs'].shape == (2, 3, 32, 96)
    assert torch.equal(batch['inputs']['depth_imgs'][1], enc)  # as encoded: no mean/std
    rgb = packed['inputs']['img'].float()
    want = (rgb[[2, 1, 0]] - torch.tensor([123.675, 116.28, 103.53])[:, None, None]) / \
        torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    torch.testing.assert_close(batch['inputs']['imgs'][0], want)
    assert 'depth_img' in data['inputs']  # the caller's batch is left as it was
    # without a depth image: the stock preprocessor
    assert set(pre(dict(inputs=dict(img=[packed['inputs']['img']]),
                        data_samples=[sample]))['inputs']) == {'imgs'}
    with pytest.raises(ValueError, match='same augmentation'):
        DepthImageInput()(dict(img=np.zeros((4, 4, 3)), depth_img=np.zeros((5, 4))))
