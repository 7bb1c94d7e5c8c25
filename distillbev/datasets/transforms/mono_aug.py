# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDLE's image augmentation for monocular KITTI students and their depth-image teachers."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MonoAffineAug(BaseTransform):
    """Flip, random scale-and-shift crop, and resize to a fixed resolution as one affine map
    (MonoDLE / MonoDistill), applied to the RGB image and the LiDAR depth image together.

    Per sample (training): a horizontal flip with ``flip_prob``; with ``crop_prob`` a crop of
    ``s * (W, H)`` with ``s = clip(1 + scale * N(0, 1), 1 - scale, 1 + scale)`` around a centre
    moved by ``clip(shift * N(0, 1), -2 shift, 2 shift) * (W, H)``; then the affine that maps the
    crop's width onto ``resolution[0]`` with one factor for both axes, crop centre to output
    centre (CenterNet's ``get_affine_transform``). The targets follow:

    - ``img`` (bilinear) and ``depth_img`` (nearest: the map is sparse; depths multiplied by
      ``s``, as the official code does);
    - ``gt_bboxes`` (2D, clipped to the output), ``centers_2d``;
    - the camera: ``cam2img`` gets the base resize ``r = resolution[0] / W`` on the focal
      lengths and the translation column, the full affine on the principal point, and the flip;
    - depth: ``depths`` and the 3D boxes' camera z are multiplied by ``s`` (a zoom-in looks like
      the objects came closer), so every 3D centre still projects onto its ``centers_2d``
      through the new ``cam2img``; a flip mirrors the boxes (``x -> -x``, yaw mirrored);
    - ``mono_crop`` records whether the sample was cropped (MonoDLE disables its 3D-offset loss
      on cropped samples), ``mono_affine`` the (3, 3) pixel map.

    Args:
        resolution (Sequence[int]): output (W, H). MonoDLE: (1280, 384).
        flip_prob (float): Defaults to 0.5.
        crop_prob (float): Defaults to 0.5.
        scale (float): crop scale spread. MonoDistill's configs: 0.4 (MonoDLE's default 0.1).
        shift (float): crop centre spread. MonoDistill's configs: 0.0 (MonoDLE's default 0.1).
        test_mode (bool): only the resize to ``resolution``. Defaults to False.
    """

    def __init__(self, resolution: Sequence[int], flip_prob: float = 0.5, crop_prob: float = 0.5,
                 scale: float = 0.4, shift: float = 0.0, test_mode: bool = False) -> None:
        self.resolution = (int(resolution[0]), int(resolution[1]))
        self.flip_prob, self.crop_prob = flip_prob, crop_prob
        self.scale, self.shift, self.test_mode = scale, shift, test_mode

    def sample_params(self, width: int, height: int) -> Tuple[bool, float, np.ndarray]:
        """(flip, crop scale s, crop centre) of one draw (MonoDLE's order of random calls)."""
        flip = False
        s, centre = 1.0, np.array([width / 2.0, height / 2.0])
        if not self.test_mode:
            flip = np.random.random() < self.flip_prob
            if np.random.random() < self.crop_prob:
                s = float(np.clip(np.random.randn() * self.scale + 1, 1 - self.scale,
                                  1 + self.scale))
                centre = centre + np.array([width, height]) * np.clip(
                    np.random.randn(2) * self.shift, -2 * self.shift, 2 * self.shift)
        return flip, s, centre

    def affine(self, width: int, s: float, centre: np.ndarray) -> np.ndarray:
        """(3, 3) map from (flipped) input pixels to output pixels."""
        a = self.resolution[0] / (s * width)
        return np.array([[a, 0., self.resolution[0] / 2 - a * centre[0]],
                         [0., a, self.resolution[1] / 2 - a * centre[1]], [0., 0., 1.]])

    def apply(self, results: dict, flip: bool, s: float, centre: np.ndarray) -> dict:
        """Apply one drawn augmentation (see the class docstring)."""
        height, width = results['img'].shape[:2]
        out_w, out_h = self.resolution
        mat = self.affine(width, s, centre)
        flip_mat = np.array([[-1., 0., width], [0., 1., 0.], [0., 0., 1.]]) if flip else np.eye(3)
        full = mat @ flip_mat  # original -> output, continuous pixels (pixel i is [i, i + 1))
        # OpenCV puts pixel centres on integers: conjugate by the half-pixel shift
        half = np.array([[1., 0., 0.5], [0., 1., 0.5], [0., 0., 1.]])
        warp = (np.linalg.inv(half) @ full @ half)[:2]
        results['img'] = cv2.warpAffine(results['img'], warp, (out_w, out_h),
                                        flags=cv2.INTER_LINEAR)
        if 'depth_img' in results:
            results['depth_img'] = cv2.warpAffine(results['depth_img'], warp, (out_w, out_h),
                                                  flags=cv2.INTER_NEAREST) * np.float32(s)
        if results.get('gt_bboxes') is not None and len(results['gt_bboxes']):
            boxes = np.asarray(results['gt_bboxes'], dtype=np.float64)
            xs = boxes[:, [0, 2]] * full[0, 0] + full[0, 2]
            ys = boxes[:, [1, 3]] * full[1, 1] + full[1, 2]
            boxes = np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)
            boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, out_w)
            boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, out_h)
            results['gt_bboxes'] = boxes.astype(np.float32)
        if results.get('centers_2d') is not None and len(results['centers_2d']):
            c = np.asarray(results['centers_2d'], dtype=np.float64)
            results['centers_2d'] = (c @ full[:2, :2].T + full[:2, 2]).astype(np.float32)
        if results.get('depths') is not None:
            results['depths'] = (np.asarray(results['depths']) * s).astype(np.float32)
        if results.get('gt_bboxes_3d') is not None and len(results['gt_bboxes_3d']):
            boxes = results['gt_bboxes_3d']
            if flip:
                boxes.flip('horizontal')  # camera boxes: x -> -x, yaw mirrored
            boxes.tensor[:, 2] *= s  # camera z (depth)
        if 'cam2img' in results:
            results['cam2img'] = self._camera(np.asarray(results['cam2img'], dtype=np.float64),
                                              flip, width, mat, s)
        results['img_shape'] = (out_h, out_w)
        results['mono_crop'] = s != 1.0 or bool(np.any(centre != [width / 2.0, height / 2.0]))
        results['mono_affine'] = full.astype(np.float32)
        return results

    @staticmethod
    def _camera(cam2img: np.ndarray, flip: bool, width: int, mat: np.ndarray,
                s: float) -> np.ndarray:
        """The projection after the flip and the affine ``mat``, for camera z scaled by ``s``.

        With ``u' = a u + t`` (``a = r / s``, ``r`` the base resize) and ``z' = s z``:
        ``P'[0] = [r f, 0, a c_x + t, r p_03 + s t p_23]``, the same for row 1, and
        ``P'[2] = [0, 0, 1, s p_23]``: the focal lengths and the translation column take the base
        resize only, the principal point the whole affine.
        """
        p = np.eye(4)
        p[:cam2img.shape[0], :cam2img.shape[1]] = cam2img
        if flip:  # mirrored camera: u -> W - u with x -> -x
            p[0, 2] = width - p[0, 2]
            p[0, 3] = -p[0, 3]
        a, r = mat[0, 0], mat[0, 0] * s
        out = p.copy()
        for row, t in ((0, mat[0, 2]), (1, mat[1, 2])):
            out[row, :2] = p[row, :2] * r
            out[row, 2] = a * p[row, 2] + t
            out[row, 3] = r * p[row, 3] + s * t * p[2, 3]
        out[2, 3] = s * p[2, 3]
        return out[:cam2img.shape[0], :cam2img.shape[1]]

    def transform(self, results: dict) -> Optional[dict]:
        height, width = results['img'].shape[:2]
        flip, s, centre = self.sample_params(width, height)
        return self.apply(results, flip, s, centre)
