# Copyright (c) distillbev contributors. All rights reserved.
"""BEVDet-style per-view image augmentation that records ``img_aug_matrix``."""
from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS
from .mv_geometry import cv2_affine, image_aug_matrix

_INTERP = {'nearest': cv2.INTER_NEAREST, 'bilinear': cv2.INTER_LINEAR,
           'bicubic': cv2.INTER_CUBIC, 'area': cv2.INTER_AREA}


@TRANSFORMS.register_module()
class MultiViewImageAffineAug(BaseTransform):
    """Resize, crop, flip and rotate every view to ``final_size`` with one affine warp per view.

    For each view (independently in training) a scale ``s``, a crop offset ``(crop_x, crop_y)``,
    a flip and a rotation are drawn; the view is warped once with ``cv2.warpAffine`` by exactly
    the matrix that is recorded, so the content at ``(u, v)`` of the input lands at
    ``M @ (u, v, d, 1)`` (see :func:`image_aug_matrix` for the step order and conventions: pixel
    ``(row, col)`` centred at ``(col + 0.5, row + 0.5)``, flip ``u -> W - u``, rotation
    counter-clockwise as displayed, in degrees, about ``(W / 2, H / 2)``). Areas outside the source
    are filled with 0.

    - resize: train ``s ~ U(resize_lim)`` (``+ fit`` if ``resize_relative``), test ``s = fit``
      (or ``resize_test``, see Args), with ``fit = max(H / H0, W / W0)`` the smallest scale that
      covers the output;
    - crop (bottom-biased like BEVDet, the top of the resized image is cut): with ``H1, W1`` the
      resized size, ``crop_y = int((1 - p) * H1) - H`` where ``p ~ U(bot_pct_lim)`` (test: its
      mean) is the fraction cut at the bottom; ``crop_x ~ U(0, max(0, W1 - W))`` (test: centred);
    - horizontal flip with probability ``flip_prob`` (test: never);
    - rotation ``~ U(rot_lim)`` degrees about the output centre (test: none).

    Updates ``img`` (list of (H, W, C) arrays, dtype kept), ``img_shape`` and ``pad_shape``
    (``final_size``), left-multiplies ``img_aug_matrix`` (N, 4, 4, float32; created as identity if
    absent) and writes ``img_aug_params`` (list of dicts ``scale, crop, flip, rotate``).
    ``cam2img``/``lidar2img`` are left untouched (original sensor geometry).

    Args:
        final_size (tuple[int, int]): Output ``(H, W)``; use multiples of 32, e.g. (256, 704).
        resize_lim (tuple[float, float]): Training scale range (absolute, or offsets added to
            ``fit`` if ``resize_relative``). Defaults to (0.386, 0.55) (BEVDepth, 900x1600).
        resize_relative (bool): BEVDet's convention, ``s = fit + U(resize_lim)`` (e.g.
            ``resize_lim=(-0.06, 0.11)``). Defaults to False.
        resize_test (float, optional): Test scale (absolute, or offset to ``fit`` if
            ``resize_relative``). None: ``fit``. Defaults to None.
        bot_pct_lim (tuple[float, float]): Fraction of the resized height cut at the bottom.
            Defaults to (0.0, 0.0).
        rot_lim (tuple[float, float]): Rotation range in degrees. Defaults to (-5.4, 5.4).
        flip_prob (float): Horizontal flip probability in training. Defaults to 0.5.
        test_mode (bool): Deterministic test-time version. Defaults to False.
        interpolation (str): ``'bilinear'``, ``'nearest'``, ``'bicubic'`` or ``'area'``.
            Defaults to ``'bilinear'``.
        antialias (bool): When shrinking (``s < 1``), blur the view first with a Gaussian of
            ``sigma = (1 / s - 1) / 2`` input pixels (as ``skimage.transform.rescale``) so that
            the warp does not alias; the geometry is unchanged. Defaults to True.
    """

    def __init__(self,
                 final_size: Tuple[int, int],
                 resize_lim: Tuple[float, float] = (0.386, 0.55),
                 resize_relative: bool = False,
                 resize_test: Optional[float] = None,
                 bot_pct_lim: Tuple[float, float] = (0.0, 0.0),
                 rot_lim: Tuple[float, float] = (-5.4, 5.4),
                 flip_prob: float = 0.5,
                 test_mode: bool = False,
                 interpolation: str = 'bilinear',
                 antialias: bool = True) -> None:
        if interpolation not in _INTERP:
            raise ValueError(f'interpolation must be one of {list(_INTERP)}, '
                             f'got {interpolation!r}')
        self.final_size = (int(final_size[0]), int(final_size[1]))
        self.resize_lim = tuple(resize_lim)
        self.resize_relative = resize_relative
        self.resize_test = resize_test
        self.bot_pct_lim = tuple(bot_pct_lim)
        self.rot_lim = tuple(rot_lim)
        self.flip_prob = flip_prob
        self.test_mode = test_mode
        self.interpolation = interpolation
        self.antialias = antialias

    def sample_params(self, src_hw: Tuple[int, int]) -> dict:
        """Draw (train) or compute (test) the augmentation of one view.

        Args:
            src_hw (tuple[int, int]): Input view size ``(H0, W0)``.

        Returns:
            dict: ``scale`` (float), ``crop`` ((crop_x, crop_y) in pixels of the resized image),
            ``flip`` (bool), ``rotate`` (degrees).
        """
        height, width = self.final_size
        fit = max(height / src_hw[0], width / src_hw[1])
        if self.test_mode:
            if self.resize_test is None:
                scale = fit
            else:
                scale = self.resize_test + (fit if self.resize_relative else 0.0)
            bot_pct = float(np.mean(self.bot_pct_lim))
        else:
            scale = np.random.uniform(*self.resize_lim) + (fit if self.resize_relative else 0.0)
            bot_pct = np.random.uniform(*self.bot_pct_lim)
        new_h, new_w = int(src_hw[0] * scale), int(src_hw[1] * scale)
        crop_y = int((1.0 - bot_pct) * new_h) - height
        if self.test_mode:
            crop_x = int(max(0, new_w - width) / 2)
            flip, rotate = False, 0.0
        else:
            crop_x = int(np.random.uniform(0, max(0, new_w - width)))
            flip = bool(np.random.rand() < self.flip_prob)
            rotate = float(np.random.uniform(*self.rot_lim))
        return dict(scale=float(scale), crop=(crop_x, crop_y), flip=flip, rotate=rotate)

    def warp(self, img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """Warp one view by the pixel part of a 4x4 image augmentation matrix.

        Args:
            img (np.ndarray): (H0, W0, C) or (H0, W0) image.
            matrix (np.ndarray): (4, 4) matrix, ``augmented = matrix @ (u, v, d, 1)``.

        Returns:
            np.ndarray: ``final_size`` image, same dtype and channels.
        """
        affine = cv2_affine(matrix)
        scale = float(np.sqrt(abs(np.linalg.det(affine[:, :2]))))
        if self.antialias and scale < 1.0:
            img = cv2.GaussianBlur(img, (0, 0), sigmaX=(1.0 / scale - 1.0) / 2.0)
        out = cv2.warpAffine(
            img, affine, (self.final_size[1], self.final_size[0]),
            flags=_INTERP[self.interpolation], borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if img.ndim == 3 and out.ndim == 2:  # cv2 drops a single channel axis
            out = out[..., None]
        return out

    def transform(self, results: dict) -> dict:
        """Augment every view of ``results['img']``.

        Args:
            results (dict): Result dict from :class:`LoadMultiViewImagesWithCalib`.

        Returns:
            dict: ``results`` with augmented ``img`` and updated ``img_aug_matrix``.
        """
        imgs = results['img']
        num_views = len(imgs)
        prev = results.get('img_aug_matrix')
        if prev is None:
            prev = np.tile(np.eye(4), (num_views, 1, 1))
        new_imgs, mats, params = [], [], []
        # a temporal sample's earlier frames replay the current frame's draw (TemporalFrames)
        replay = results.pop('replay_img_aug_params', None)
        for i, img in enumerate(imgs):
            p = self.sample_params(img.shape[:2]) if replay is None else dict(replay[i])
            mat = image_aug_matrix(p['scale'], p['crop'], p['flip'], p['rotate'],
                                   self.final_size)
            new_imgs.append(self.warp(img, mat))
            mats.append(mat @ np.asarray(prev[i], dtype=np.float64))
            params.append(p)
        results['img'] = new_imgs
        results['img_aug_matrix'] = np.stack(mats).astype(np.float32)
        results['img_aug_params'] = params
        results['img_shape'] = self.final_size
        results['pad_shape'] = self.final_size
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(final_size={self.final_size}, '
                f'resize_lim={self.resize_lim}, resize_relative={self.resize_relative}, '
                f'resize_test={self.resize_test}, bot_pct_lim={self.bot_pct_lim}, '
                f'rot_lim={self.rot_lim}, flip_prob={self.flip_prob}, '
                f'test_mode={self.test_mode}, interpolation={self.interpolation!r}, '
                f'antialias={self.antialias})')
