# Copyright (c) distillbev contributors. All rights reserved.
import numpy as np
import pytest

from distillbev.datasets.transforms import MultiViewImageAffineAug

FIXED = dict(scale=0.5, crop=(10, 20), flip=True, rotate=90.0)


def _fixed(aug, params=FIXED):
    aug.sample_params = lambda src_hw: dict(params)
    return aug


def test_fixed_aug_matrix_and_bright_pixel():
    img = np.zeros((100, 240, 3), np.uint8)
    img[60:62, 120:122] = (10, 20, 30)  # covers [120, 122) x [60, 62) in (u, v)
    other = np.zeros((100, 240, 3), np.uint8)
    prev = np.diag([1., 1., 1., 1.]).astype(np.float32)
    prev2 = np.array([[2., 0, 0, 1], [0, 2., 0, 3], [0, 0, 1, 0], [0, 0, 0, 1]], np.float32)
    results = dict(img=[img, other], img_aug_matrix=np.stack([prev, prev2]))
    aug = _fixed(MultiViewImageAffineAug(final_size=(64, 96), antialias=False))
    out = aug(results)
    expected = np.array([[0., 0.5, 0., -4.], [0.5, 0., 0., -26.], [0., 0., 1., 0.],
                         [0., 0., 0., 1.]])
    np.testing.assert_allclose(out['img_aug_matrix'][0], expected, atol=1e-6)
    # left-multiplied onto the existing matrix
    np.testing.assert_allclose(out['img_aug_matrix'][1], expected @ prev2, atol=1e-5)
    assert out['img_aug_matrix'].dtype == np.float32
    # [120, 122) x [60, 62) -> u' = 0.5 v - 4 in [26, 27), v' = 0.5 u - 26 in [34, 35):
    # exactly the output pixel (row 34, col 26), at full value
    warped = out['img'][0]
    assert warped.shape == (64, 96, 3) and warped.dtype == np.uint8
    assert np.argwhere(warped.sum(-1) > 0).tolist() == [[34, 26]]
    np.testing.assert_array_equal(warped[34, 26], (10, 20, 30))
    assert out['img_shape'] == (64, 96) and out['pad_shape'] == (64, 96)
    assert out['img_aug_params'][0] == FIXED
    # with anti-aliasing (blur sigma 0.5 before the 0.5x warp) the peak stays on that pixel
    aug = _fixed(MultiViewImageAffineAug(final_size=(64, 96)))
    warped = aug(dict(img=[img]))['img'][0].astype(np.float64).sum(-1)
    assert np.unravel_index(np.argmax(warped), warped.shape) == (34, 26)


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_random_aug_moves_pixels_by_recorded_matrix(seed):
    np.random.seed(seed)
    h0, w0 = 90, 160
    vv, uu = np.mgrid[0:h0, 0:w0]
    u0, v0 = 70.0 + 7 * seed, 55.0 - 3 * seed
    blob = np.exp(-((uu - u0) ** 2 + (vv - v0) ** 2) / (2 * 3.0 ** 2)).astype(np.float32)
    img = np.repeat(blob[..., None], 3, axis=-1)
    aug = MultiViewImageAffineAug(final_size=(64, 96), resize_lim=(0.55, 0.75),
                                  bot_pct_lim=(0.0, 0.2), rot_lim=(-30.0, 30.0), flip_prob=0.5)
    out = aug(dict(img=[img]))
    mat = out['img_aug_matrix'][0].astype(np.float64)
    # the blob is centred on pixel (v0, u0), i.e. at (u0 + 0.5, v0 + 0.5)
    u1, v1 = (mat @ [u0 + 0.5, v0 + 0.5, 1.0, 1.0])[:2] - 0.5
    assert 3 <= u1 <= 92 and 3 <= v1 <= 60, 'blob should stay inside for these seeds'
    warped = out['img'][0][..., 0]
    assert warped.dtype == np.float32
    row, col = np.unravel_index(np.argmax(warped), warped.shape)
    assert abs(col - u1) <= 1.0 and abs(row - v1) <= 1.0


def test_test_mode_resize_to_fit_and_bottom_crop():
    img = np.arange(90 * 160 * 3, dtype=np.float32).reshape(90, 160, 3)
    aug = MultiViewImageAffineAug(final_size=(32, 64), test_mode=True)
    out = aug(dict(img=[img, img]))
    # fit = max(32 / 90, 64 / 160) = 0.4 -> 36 x 64; keep the bottom 32 rows: crop_y = 4
    expected = np.array([[0.4, 0., 0., 0.], [0., 0.4, 0., -4.], [0., 0., 1., 0.],
                         [0., 0., 0., 1.]])
    for i in range(2):
        np.testing.assert_allclose(out['img_aug_matrix'][i], expected, atol=1e-6)
        assert out['img_aug_params'][i] == dict(scale=0.4, crop=(0, 4), flip=False, rotate=0.0)
    # test mode with centred crop and an explicit scale: 0.5 -> 45 x 80, crop_x = 8, crop_y = 13
    aug = MultiViewImageAffineAug(final_size=(32, 64), test_mode=True, resize_test=0.5,
                                  bot_pct_lim=(0.0, 0.0))
    assert aug.sample_params((90, 160)) == dict(scale=0.5, crop=(8, 13), flip=False,
                                                rotate=0.0)


def test_bevdet_relative_resize():
    aug = MultiViewImageAffineAug(final_size=(256, 704), resize_lim=(-0.06, 0.11),
                                  resize_relative=True, rot_lim=(0.0, 0.0), flip_prob=0.0)
    np.random.seed(0)
    for _ in range(5):
        p = aug.sample_params((900, 1600))
        assert 0.44 - 0.06 <= p['scale'] <= 0.44 + 0.11
        new_w = int(1600 * p['scale'])
        assert 0 <= p['crop'][0] <= max(0, new_w - 704)
        assert p['crop'][1] == int(900 * p['scale']) - 256
