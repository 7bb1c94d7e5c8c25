# Copyright (c) distillbev contributors. All rights reserved.
"""Packing of multi-view samples: geometry metainfo and dense depth targets."""
import inspect
from typing import Sequence

import numpy as np
import torch

from mmdet3d.datasets.transforms import Pack3DDetInputs
from mmdet3d.registry import TRANSFORMS

# the stock defaults of the installed mmdet3d (1.4.0: img_path, ori_shape, img_shape, lidar2img,
# cam2img, lidar2cam, ori_cam2img, pcd_*, num_views, ...)
_STOCK_META_KEYS = tuple(
    inspect.signature(Pack3DDetInputs.__init__).parameters['meta_keys'].default)

MULTIVIEW_META_KEYS = _STOCK_META_KEYS + tuple(
    k for k in ('cam2lidar', 'img_aug_matrix', 'lidar_aug_matrix', 'num_views', 'token',
                'bev_aug_id', 'bev_aug_params', 'img_aug_params')
    if k not in _STOCK_META_KEYS)


@TRANSFORMS.register_module()
class PackMultiViewDet3DInputs(Pack3DDetInputs):
    """``Pack3DDetInputs`` with the multi-view geometry in the metainfo and ``gt_depth``.

    Same behaviour as the stock class (``inputs['img']`` becomes an (N, C, H, W) tensor, channel
    order unchanged; ``inputs['points']`` a (P, C) tensor), plus:

    - default ``meta_keys`` = the stock ones + ``cam2lidar``, ``img_aug_matrix``,
      ``lidar_aug_matrix``, ``token`` (``num_views``, ``cam2img``, ``lidar2cam``, ``lidar2img``
      are already stock); the matrices stay float32 numpy arrays;
    - if ``results['gt_depth']`` exists (see :class:`MultiViewDepthFromLiDAR`) it is stored as a
      float32 tensor (N, H, W) in ``data_sample.gt_depth``, whether or not ``'gt_depth'`` is
      listed in ``keys``. ``Det3DDataPreprocessor`` does not touch it (only moves it to the
      device with the data sample).

    Args:
        keys (Sequence[str]): As the stock class; ``'gt_depth'`` may be listed.
        meta_keys (Sequence[str]): Defaults to ``MULTIVIEW_META_KEYS``.
        extra_meta_keys (Sequence[str]): appended to ``meta_keys`` (e.g. ``('can_bus', )`` for
            BEVFormer, so a config need not restate the defaults). Defaults to ``()``.
    """

    def __init__(self, keys: Sequence[str],
                 meta_keys: Sequence[str] = MULTIVIEW_META_KEYS,
                 extra_meta_keys: Sequence[str] = ()) -> None:
        super().__init__(keys=tuple(k for k in keys if k != 'gt_depth'),
                         meta_keys=tuple(meta_keys) + tuple(
                             k for k in extra_meta_keys if k not in meta_keys))

    def pack_single_results(self, results: dict) -> dict:
        """Pack one sample.

        Args:
            results (dict): Result dict from the pipeline.

        Returns:
            dict: ``inputs`` and ``data_samples`` (a ``Det3DDataSample``).
        """
        gt_depth = results.get('gt_depth')
        packed = super().pack_single_results(results)
        if gt_depth is not None:
            if not isinstance(gt_depth, torch.Tensor):
                gt_depth = torch.from_numpy(np.ascontiguousarray(gt_depth, dtype=np.float32))
            packed['data_samples'].gt_depth = gt_depth.float()
        return packed
