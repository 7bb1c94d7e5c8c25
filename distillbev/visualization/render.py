# Copyright (c) distillbev contributors. All rights reserved.
"""Render the pictures of one batch for a student or a distiller (``tools/visualize.py`` and
:class:`~distillbev.engine.hooks.DistillVisualizationHook`)."""
import os.path as osp
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
from mmengine.model import is_model_wrapper

from ..structures.bev_grid import BEVGrid
from .pictures import (bev_detections_image, box_corners, camera_detections_image,
                       feature_pairs_image, save, target_images, to_original_frame)


def _gt_boxes(sample):
    gt = getattr(sample, 'gt_instances_3d', None)
    if gt is not None and 'bboxes_3d' in gt and len(gt.bboxes_3d):
        return gt.bboxes_3d
    ann = getattr(sample, 'eval_ann_info', None) or {}
    return ann.get('gt_bboxes_3d')


def _points(inputs: dict, sample) -> Optional[np.ndarray]:
    points = inputs.get('points')
    if points is not None and len(points):
        return points[0].detach().cpu().numpy()
    path, dims = sample.metainfo.get('lidar_path'), sample.metainfo.get('num_pts_feats')
    if path and dims and osp.isfile(path):  # a camera-only pipeline: read the key frame
        return np.fromfile(path, dtype=np.float32).reshape(-1, int(dims))
    return None


def batch_pictures(model, data_batch: dict, out_dir: str, tag: str,
                   score_thr: float = 0.3) -> Dict[str, np.ndarray]:
    """Draw the first sample of a (collated, un-preprocessed) batch; write ``<tag>_*.png``.

    Pictures: ``features`` (teacher vs student, each shared tap name) and ``targets`` (KD
    target maps) for a distiller; ``bev`` (LiDAR points, GT and detections) and ``cameras``
    (boxes projected into the views) for any BEV detector.

    Args:
        model: a student (mmdet3d detector) or a ``CrossModalDistiller`` (wrapped or not).
        data_batch (dict): ``inputs`` and ``data_samples`` as the dataloader yields them.
        out_dir (str): where the PNGs go.
        tag (str): file name prefix (e.g. ``iter_500`` or ``sample_3``).
        score_thr (float): detections below it are not drawn.

    Returns:
        dict: picture name -> BGR array (also written as ``<out_dir>/<tag>_<name>.png``).
    """
    model = model.module if is_model_wrapper(model) else model
    was_training = model.training
    model.eval()
    pictures = {}
    try:
        with torch.no_grad():
            data = model.data_preprocessor(data_batch, False)
            inputs, samples = data['inputs'], data['data_samples']
            if hasattr(model, 'distillation_inputs'):
                spaces = model.distillation_inputs(inputs, samples)
                pictures['features'] = feature_pairs_image(spaces['student'], spaces['teacher'])
                if spaces['target']:
                    pictures['targets'] = target_images(spaces['target'])
            preds = model.predict(inputs, samples)
    finally:
        model.train(was_training)
    sample, pred = samples[0], preds[0].pred_instances_3d
    keep = pred.scores_3d >= score_thr
    pred_corners = box_corners(pred.bboxes_3d[keep]) if keep.any() else np.zeros((0, 8, 3))
    gt = _gt_boxes(sample)
    gt_corners = box_corners(gt) if gt is not None and len(gt) else np.zeros((0, 8, 3))
    student = model.student if hasattr(model, 'student') else model
    grid = BEVGrid.from_detector(student)
    pcr = [grid.x_min, grid.y_min, -5., grid.x_max, grid.y_max, 3.] if grid else \
        [-51.2, -51.2, -5., 51.2, 51.2, 3.]
    res = max((pcr[3] - pcr[0]) / 512, 0.05)
    pictures['bev'] = bev_detections_image(_points(inputs, sample), gt_corners, pred_corners,
                                           pred.scores_3d[keep].cpu().numpy(), pcr, res)
    meta = sample.metainfo
    paths = meta.get('img_path')
    if isinstance(paths, (list, tuple)) and meta.get('lidar2img') is not None:
        aug = meta.get('lidar_aug_matrix')
        images = [cv2.imread(p) for p in paths]
        if all(i is not None for i in images):
            names = [osp.basename(osp.dirname(p)) for p in paths]
            pictures['cameras'] = camera_detections_image(
                images, np.asarray(meta['lidar2img'], dtype=np.float64),
                to_original_frame(gt_corners, aug), to_original_frame(pred_corners, aug), names)
    for name, img in pictures.items():
        save(osp.join(out_dir, f'{tag}_{name}.png'), img)
    return pictures


def written(out_dir: str, tag: str, pictures: Dict[str, np.ndarray]) -> List[str]:
    """The PNG paths :func:`batch_pictures` wrote."""
    return [osp.join(out_dir, f'{tag}_{name}.png') for name in pictures]
