# Copyright (c) distillbev contributors. All rights reserved.
"""Per-class localisation and size errors of matched 3D boxes (``tools/box_errors.py``).

A detection metric says *that* a class is missed at an IoU threshold; this says *how*: whether
the boxes that are found sit too far, too near, too wide or too small. Each ground-truth box is
matched to at most one detection of its class whose BEV centre lies within ``radius`` (greedy by
detection score, the nuScenes centre-distance matching), and the signed differences detection
minus ground truth are accumulated per class.
"""
from typing import Dict, List, Sequence

import numpy as np

# box columns of the statistics: (name, column of the (N, 7) x, y, z, l, w, h, yaw array)
ERROR_FIELDS = (('x', 0), ('y', 1), ('z', 2), ('l', 3), ('w', 4), ('h', 5))


def boxes_in_lidar_axes(boxes) -> np.ndarray:
    """(N, 7) x, y, z, l, w, h, yaw of mmdet3d 3D boxes in the LiDAR frame's axes.

    Camera boxes (monocular students) are turned by mmdet3d's ``convert_to`` without a
    calibration: the axes are the LiDAR's (x forward, y left, z up), the origin stays the
    camera's. Detection and ground truth are turned alike, so their differences are LiDAR-frame
    errors.

    Args:
        boxes (BaseInstance3DBoxes): N boxes of any mmdet3d box mode.

    Returns:
        np.ndarray: shape (N, 7), bottom centre, sizes along the box's own axes, yaw.
    """
    from mmdet3d.structures import Box3DMode, LiDARInstance3DBoxes
    if not isinstance(boxes, LiDARInstance3DBoxes):
        boxes = boxes.convert_to(Box3DMode.LIDAR)
    return boxes.tensor[:, :7].cpu().numpy()


def match_by_centre(pred: np.ndarray, scores: np.ndarray, gt: np.ndarray,
                    radius: float) -> List[tuple]:
    """Greedy BEV centre-distance matching of one class in one frame.

    Args:
        pred (np.ndarray): detections, shape (P, >=2); columns 0, 1 are the BEV centre.
        scores (np.ndarray): their scores, shape (P,).
        gt (np.ndarray): ground truth, shape (G, >=2).
        radius (float): largest matched centre distance, metres.

    Returns:
        list[tuple[int, int]]: (detection index, ground-truth index) pairs; detections are
        taken by descending score, each to the nearest unmatched ground truth in ``radius``.
    """
    pairs, taken = [], np.zeros(len(gt), dtype=bool)
    if not len(pred) or not len(gt):
        return pairs
    dist = np.linalg.norm(pred[:, None, :2] - gt[None, :, :2], axis=-1)  # (P, G)
    for p in np.argsort(-scores, kind='stable'):
        d = np.where(taken, np.inf, dist[p])
        g = int(np.argmin(d))
        if d[g] <= radius:
            taken[g] = True
            pairs.append((int(p), g))
    return pairs


def box_error_stats(frames: Sequence[dict], class_names: Sequence[str], radius: float = 2.0,
                    score_thr: float = 0.3) -> Dict[str, dict]:
    """Signed box errors (detection minus ground truth) per class over frames.

    Args:
        frames (Sequence[dict]): one dict per frame with ``pred_boxes`` (P, 7) x, y, z, l, w, h,
            yaw in one frame (e.g. LiDAR); ``pred_scores`` (P,); ``pred_labels`` (P,);
            ``gt_boxes`` (G, 7); ``gt_labels`` (G,). Labels index ``class_names``; ground
            truth with a label outside it (-1, DontCare) is ignored.
        class_names (Sequence[str]): the classes reported.
        radius (float): matching radius in metres (BEV centre distance).
        score_thr (float): detections under it are dropped before matching.

    Returns:
        dict: class -> ``num_gt``, ``num_pred`` (above ``score_thr``), ``recall`` (matched /
        num_gt), and for each of x, y, z, l, w, h its ``<f>_bias`` (mean signed error) and
        ``<f>_mae`` (mean absolute error) over the matched pairs, plus ``yaw_mae`` (absolute
        yaw difference wrapped to [0, pi]: a reversed heading counts pi) and ``axis_mae`` (the
        same modulo pi, in [0, pi/2]: the box's orientation, which is what the IoU sees); the
        error entries are NaN when nothing matched.
    """
    diffs = {c: [] for c in class_names}
    counts = {c: [0, 0] for c in class_names}
    for frame in frames:
        keep = np.asarray(frame['pred_scores']) >= score_thr
        pred = np.asarray(frame['pred_boxes'], dtype=np.float64).reshape(-1, 7)[keep]
        scores = np.asarray(frame['pred_scores'], dtype=np.float64)[keep]
        plabels = np.asarray(frame['pred_labels'])[keep]
        gt = np.asarray(frame['gt_boxes'], dtype=np.float64).reshape(-1, 7)
        glabels = np.asarray(frame['gt_labels'])
        for k, name in enumerate(class_names):
            pmask = plabels == k
            pk, gk = pred[pmask], gt[glabels == k]
            counts[name][0] += len(gk)
            counts[name][1] += len(pk)
            for i, j in match_by_centre(pk, scores[pmask], gk, radius):
                diffs[name].append(pk[i] - gk[j])
    stats = {}
    for name in class_names:
        num_gt, num_pred = counts[name]
        d = np.asarray(diffs[name]).reshape(-1, 7)
        row = dict(num_gt=num_gt, num_pred=num_pred,
                   recall=len(d) / num_gt if num_gt else float('nan'))
        for field, col in ERROR_FIELDS:
            row[f'{field}_bias'] = float(d[:, col].mean()) if len(d) else float('nan')
            row[f'{field}_mae'] = float(np.abs(d[:, col]).mean()) if len(d) else float('nan')
        for key, period in (('yaw_mae', 2 * np.pi), ('axis_mae', np.pi)):
            err = np.abs((d[:, 6] + period / 2) % period - period / 2)
            row[key] = float(err.mean()) if len(d) else float('nan')
        stats[name] = row
    return stats
