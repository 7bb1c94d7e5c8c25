# Copyright (c) distillbev contributors. All rights reserved.
"""Multi-view image loading with the per-view camera geometry stacked into arrays."""
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get

from mmdet3d.registry import TRANSFORMS
from .mv_geometry import stack_views


@TRANSFORMS.register_module()
class LoadMultiViewImagesWithCalib(BaseTransform):
    """Load the camera views of an mmdet3d v2 info and stack their geometry.

    Reads ``results['images'][cam]['img_path' | 'cam2img' | 'lidar2cam']`` (paths already joined
    with ``data_prefix`` by ``NuScenesDataset``), in the order of ``cam_names`` or, by default, the
    order of the info (nuScenes v2: FRONT, FRONT_RIGHT, FRONT_LEFT, BACK, BACK_LEFT, BACK_RIGHT).
    Entries without ``img_path`` (e.g. KITTI's bare ``R0_rect``) are skipped.

    Images are decoded with ``mmcv.imfrombytes`` in ``channel_order`` (default ``'bgr'``, as the
    stock ``LoadMultiViewImageFromFiles``): with ``'bgr'`` the data preprocessor must use
    ``bgr_to_rgb=True`` together with RGB ImageNet statistics
    (``mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]``); with ``'rgb'`` use
    ``bgr_to_rgb=False`` and the same statistics. Views of different sizes are zero-padded at the
    bottom/right to the largest one (pixel coordinates, hence the geometry, are unchanged).

    Added / updated keys (N views, matrices float32):

    - ``img`` (list[np.ndarray]): N arrays (H, W, 3), uint8 (float32 if ``to_float32``).
    - ``img_path`` (list[str]): the N file paths (also ``filename``).
    - ``cam2img`` (N, 4, 4): intrinsics padded to 4x4; ``ori_cam2img`` is a copy.
    - ``lidar2cam`` (N, 4, 4), ``cam2lidar`` (N, 4, 4) = its inverse,
      ``lidar2img`` (N, 4, 4) = ``cam2img @ lidar2cam``: all of the original, un-augmented sensors.
    - ``img_aug_matrix`` (N, 4, 4): identity unless already present (see
      :class:`MultiViewImageAffineAug`); ``lidar_aug_matrix`` (4, 4): identity unless present.
    - ``img_shape``, ``ori_shape``, ``pad_shape`` (H, W); ``scale_factor`` 1.0; ``num_views``;
      ``img_norm_cfg`` (identity, as the stock loader).

    Args:
        to_float32 (bool): Convert images to float32. Defaults to False.
        channel_order (str): ``'bgr'`` or ``'rgb'``. Defaults to ``'bgr'``.
        imdecode_backend (str): ``mmcv.imfrombytes`` backend (``'cv2'``, ``'pillow'``, ...).
            Defaults to ``'cv2'``.
        num_views (int, optional): Expected number of views; a sample with another number raises
            ``ValueError``. None: no check. Defaults to 6.
        cam_names (Sequence[str], optional): Camera keys to load, in this order. None: every entry
            of ``results['images']`` with an ``img_path``, in the info's order. Defaults to None.
        backend_args (dict, optional): File backend arguments for ``mmengine.fileio.get``.
            Defaults to None.
    """

    def __init__(self,
                 to_float32: bool = False,
                 channel_order: str = 'bgr',
                 imdecode_backend: str = 'cv2',
                 num_views: Optional[int] = 6,
                 cam_names: Optional[Sequence[str]] = None,
                 backend_args: Optional[dict] = None) -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
        self.to_float32 = to_float32
        self.channel_order = channel_order
        self.imdecode_backend = imdecode_backend
        self.num_views = num_views
        self.cam_names = None if cam_names is None else list(cam_names)
        self.backend_args = backend_args

    def _select_cams(self, images: dict) -> list:
        if self.cam_names is None:
            return [name for name, item in images.items() if 'img_path' in item]
        missing = [name for name in self.cam_names if name not in images]
        if missing:
            raise KeyError(f'cameras {missing} are not in results["images"] (available: '
                           f'{list(images)}); fix `cam_names` of {type(self).__name__}')
        return self.cam_names

    def transform(self, results: dict) -> dict:
        """Load the views and write the stacked geometry.

        Args:
            results (dict): Result dict with ``images`` (mmdet3d v2 info, paths joined).

        Returns:
            dict: ``results`` with the keys listed in the class docstring.
        """
        cams = self._select_cams(results['images'])
        if self.num_views is not None and len(cams) != self.num_views:
            raise ValueError(f'{type(self).__name__} expected {self.num_views} views but the '
                             f'sample has {len(cams)} ({cams}); set num_views (None to skip '
                             f'the check) or cam_names')
        paths, imgs, cam2img, lidar2cam = [], [], [], []
        for cam in cams:
            item = results['images'][cam]
            paths.append(item['img_path'])
            img_bytes = get(item['img_path'], backend_args=self.backend_args)
            img = mmcv.imfrombytes(img_bytes, flag='color', channel_order=self.channel_order,
                                   backend=self.imdecode_backend)
            if img is None:
                raise IOError(f'could not decode image {item["img_path"]}')
            imgs.append(img)
            cam2img.append(item['cam2img'])
            lidar2cam.append(item['lidar2cam'])

        max_h = max(img.shape[0] for img in imgs)
        max_w = max(img.shape[1] for img in imgs)
        imgs = [img if img.shape[:2] == (max_h, max_w) else
                mmcv.impad(img, shape=(max_h, max_w), pad_val=0) for img in imgs]
        if self.to_float32:
            imgs = [img.astype(np.float32) for img in imgs]

        cam2img = stack_views(cam2img)
        lidar2cam = stack_views(lidar2cam)
        num_views = len(cams)
        results['img'] = imgs
        results['img_path'] = paths
        results['filename'] = paths
        results['cam2img'] = cam2img.astype(np.float32)
        results['ori_cam2img'] = cam2img.astype(np.float32)
        results['lidar2cam'] = lidar2cam.astype(np.float32)
        results['cam2lidar'] = np.linalg.inv(lidar2cam).astype(np.float32)
        results['lidar2img'] = (cam2img @ lidar2cam).astype(np.float32)
        if 'img_aug_matrix' not in results:
            results['img_aug_matrix'] = np.tile(np.eye(4, dtype=np.float32), (num_views, 1, 1))
        if 'lidar_aug_matrix' not in results:
            results['lidar_aug_matrix'] = np.eye(4, dtype=np.float32)
        results['img_shape'] = (max_h, max_w)
        results['ori_shape'] = (max_h, max_w)
        results['pad_shape'] = (max_h, max_w)
        results['scale_factor'] = 1.0
        results['num_views'] = num_views
        results['img_norm_cfg'] = dict(
            mean=np.zeros(3, dtype=np.float32), std=np.ones(3, dtype=np.float32), to_rgb=False)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(to_float32={self.to_float32}, '
                f"channel_order='{self.channel_order}', "
                f"imdecode_backend='{self.imdecode_backend}', num_views={self.num_views}, "
                f'cam_names={self.cam_names})')
