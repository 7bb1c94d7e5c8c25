# Copyright (c) distillbev contributors. All rights reserved.
"""SMOKE's augmentation metainfo from :class:`MonoAffineAug` (a SMOKE student next to a
depth-image teacher)."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MonoAffineSMOKEMeta(BaseTransform):
    """Give a ``MonoAffineAug``-augmented sample what mmdet3d's SMOKE head reads.

    mmdet3d's SMOKE pipeline (``RandomFlip3D`` -> ``RandomShiftScale`` -> ``AffineResize``)
    moves only the RGB; a depth-image teacher needs its depth image moved with it, which
    ``MonoAffineAug`` does. After ``MonoAffineAug`` everything (image, 2D targets, 3D boxes with
    camera z times the crop scale, ``cam2img``) is already in the network-input frame, so:

    - ``trans_mat`` = ``diag(1 / down_ratio, 1 / down_ratio, 1)``: input pixels -> head map
      (SMOKE's coder maps head cells back with its inverse and lifts them with ``cam2img``);
    - ``affine_aug`` = ``mono_crop`` (SMOKE drops its box regression loss on shift-scaled
      samples);
    - objects whose ``centers_2d`` fall outside the input image are dropped from every target,
      as ``AffineResize`` does (SMOKE's head indexes its map at the centre).

    Args:
        down_ratio (int): SMOKE's head stride. Defaults to 4.
    """

    def __init__(self, down_ratio: int = 4) -> None:
        self.down_ratio = int(down_ratio)

    def transform(self, results: dict) -> dict:
        if 'mono_affine' not in results:
            raise KeyError('MonoAffineSMOKEMeta needs MonoAffineAug before it')
        results['trans_mat'] = np.diag([1.0 / self.down_ratio, 1.0 / self.down_ratio,
                                        1.0]).astype(np.float32)
        results['affine_aug'] = bool(results.get('mono_crop', False))
        height, width = results['img'].shape[:2]
        centers = results.get('centers_2d')
        if centers is None or not len(centers):
            return results
        c = np.asarray(centers)
        keep = (c[:, 0] > 0) & (c[:, 0] < width) & (c[:, 1] > 0) & (c[:, 1] < height)
        results['centers_2d'] = c[keep]
        for key in ('gt_bboxes', 'gt_bboxes_labels', 'gt_labels_3d', 'depths'):
            if results.get(key) is not None:
                results[key] = results[key][keep]
        if results.get('gt_bboxes_3d') is not None:
            boxes = results['gt_bboxes_3d']
            boxes.tensor = boxes.tensor[keep]
        return results
