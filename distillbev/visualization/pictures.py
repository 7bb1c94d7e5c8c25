# Copyright (c) distillbev contributors. All rights reserved.
"""Pictures of what a distiller sees: BEV features, KD targets, detections (BEV and cameras).

Everything is drawn with OpenCV into uint8 BGR arrays (no display, no open3d), so the pixels are
exact and testable. BEV pictures put +x (LiDAR forward) to the right and +y (left) up: a world
point ``(x, y)`` falls on pixel ``(row, col) = ((y_max - y) / res, (x - x_min) / res)``
(:func:`bev_pixel`). Feature maps and masks, stored with rows along +y, are flipped to match.
Colours: ground truth green, predictions red (brightness = score), LiDAR points grey.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

GT_COLOR = (0, 255, 0)
PRED_COLOR = (0, 0, 255)
POINT_COLOR = (160, 160, 160)
# the 12 edges of mmdet3d's box corners (LiDARInstance3DBoxes.corners order); 0-3-7-4 is the
# bottom face
BOX_EDGES = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5),
             (2, 6), (3, 7)]
BOTTOM = [0, 3, 7, 4]


def _normalise(x: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(x, 1), np.percentile(x, 99)
    return np.clip((x - lo) / max(hi - lo, 1e-12), 0, 1)


def label(img: np.ndarray, text: str) -> np.ndarray:
    """``img`` with a black title bar holding ``text`` on top."""
    bar = np.zeros((18, img.shape[1], 3), np.uint8)
    cv2.putText(bar, text, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1,
                cv2.LINE_AA)
    return np.concatenate([bar, img], axis=0)


def hstack(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images side by side (padded to the tallest), separated by white gaps."""
    h = max(i.shape[0] for i in images)
    out = []
    for i, img in enumerate(images):
        pad = np.zeros((h - img.shape[0], img.shape[1], 3), np.uint8)
        out.append(np.concatenate([img, pad], axis=0))
        if i < len(images) - 1:
            out.append(np.full((h, gap, 3), 255, np.uint8))
    return np.concatenate(out, axis=1)


def vstack(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images one above the other (padded to the widest)."""
    w = max(i.shape[1] for i in images)
    out = []
    for i, img in enumerate(images):
        pad = np.zeros((img.shape[0], w - img.shape[1], 3), np.uint8)
        out.append(np.concatenate([img, pad], axis=1))
        if i < len(images) - 1:
            out.append(np.full((gap, w, 3), 255, np.uint8))
    return np.concatenate(out, axis=0)


def upscale(img: np.ndarray, min_size: int = 128) -> np.ndarray:
    """Nearest-neighbour upscaling so that small maps stay readable."""
    f = max(1, int(np.ceil(min_size / max(img.shape[:2]))))
    return cv2.resize(img, (img.shape[1] * f, img.shape[0] * f), interpolation=cv2.INTER_NEAREST)


def feature_mean_image(feat: Tensor) -> np.ndarray:
    """(C, H, W) feature -> colour-mapped mean of ``|feature|`` over channels, +y up."""
    x = feat.detach().float().abs().mean(0).cpu().numpy()
    img = cv2.applyColorMap((_normalise(x) * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS)
    return np.ascontiguousarray(img[::-1])


def feature_pca_image(feat: Tensor, basis: Optional[Tensor] = None) -> Tuple[np.ndarray, Tensor]:
    """(C, H, W) feature -> its 3 principal components as RGB, +y up.

    Args:
        feat (Tensor): (C, H, W).
        basis (Tensor, optional): (C, 3) projection to reuse (e.g. the teacher's for an adapted
            student of the same channels), so both pictures share colours.

    Returns:
        tuple: the BGR image and the (C, 3) basis used.
    """
    c, h, w = feat.shape
    x = feat.detach().float().reshape(c, -1).T.cpu()  # (HW, C)
    x = x - x.mean(0, keepdim=True)
    if basis is None:
        _, _, v = torch.linalg.svd(x, full_matrices=False)
        basis = v[:3].T if v.shape[0] >= 3 else torch.eye(c)[:, :3]
    proj = (x @ basis).numpy().reshape(h, w, -1)
    if proj.shape[2] < 3:
        proj = np.concatenate([proj, np.zeros((h, w, 3 - proj.shape[2]))], axis=2)
    rgb = np.stack([_normalise(proj[..., i]) for i in range(3)], axis=-1)
    return np.ascontiguousarray((rgb[::-1, :, ::-1] * 255).astype(np.uint8)), basis


def _first(value) -> List[Tensor]:
    """The 4-D tensors of a tap value (a tensor or a list of levels), first sample each."""
    if isinstance(value, Tensor):
        value = [value]
    return [v[0] for v in value if isinstance(v, Tensor) and v.dim() == 4]


def feature_pairs_image(student: Dict[str, object], teacher: Dict[str, object]) -> np.ndarray:
    """Teacher vs student features of each level present on both sides (first sample).

    One row per level: teacher mean, student mean, teacher PCA, student PCA (the student's PCA
    uses the teacher's basis when channels agree, so colours correspond).

    Args:
        student (dict): name -> student tap (adapted) value.
        teacher (dict): name -> teacher tap value.

    Returns:
        np.ndarray: the BGR picture.
    """
    rows = []
    for name in [n for n in teacher if n in student]:
        for level, (t, s) in enumerate(zip(_first(teacher[name]), _first(student[name]))):
            tag = name if len(_first(teacher[name])) == 1 else f'{name}[{level}]'
            t_pca, basis = feature_pca_image(t)
            s_pca, _ = feature_pca_image(s, basis if s.shape[0] == t.shape[0] else None)
            panels = [(feature_mean_image(t), f'teacher {tag} mean|f|'),
                      (feature_mean_image(s), f'student {tag} mean|f|'),
                      (t_pca, f'teacher {tag} PCA'), (s_pca, f'student {tag} PCA')]
            rows.append(hstack([label(upscale(img), text) for img, text in panels]))
    if not rows:
        raise ValueError('no tap name is shared by the student and the teacher with a 4-D map; '
                         f'student {sorted(student)}, teacher {sorted(teacher)}')
    return vstack(rows)


def target_images(targets: Dict[str, object]) -> np.ndarray:
    """Every (B, 1|K, H, W) map in the KD targets (first sample; channels max-reduced), +y up."""
    panels = []
    for name, value in targets.items():
        items = value.items() if isinstance(value, dict) else [('', value)]
        for key, v in items:
            for level, t in enumerate(_first(v)):
                if min(t.shape[-2:]) < 8:  # scales, counts, keypoint lists: not maps
                    continue
                m = t.detach().float().amax(0).cpu().numpy()
                img = cv2.applyColorMap((np.clip(m / max(m.max(), 1e-12), 0, 1) * 255)
                                        .astype(np.uint8), cv2.COLORMAP_INFERNO)[::-1]
                tag = '.'.join(p for p in (name, key) if p) + (f'[{level}]' if level else '')
                cover = float((t > 0).float().mean())
                panels.append(label(upscale(np.ascontiguousarray(img), 160),
                                    f'{tag} ({100 * cover:.1f}% cells)'))
    if not panels:
        raise ValueError(f'no KD target map to draw in {sorted(targets)}')
    return hstack(panels)


def bev_pixel(xy: np.ndarray, pcr: Sequence[float], res: float) -> np.ndarray:
    """World ``(x, y)`` -> BEV picture ``(col, row)`` (float pixels; see the module docstring)."""
    xy = np.asarray(xy, dtype=np.float64)
    return np.stack([(xy[..., 0] - pcr[0]) / res, (pcr[4] - xy[..., 1]) / res], axis=-1)


def box_corners(boxes) -> np.ndarray:
    """(N, 8, 3) corners of mmdet3d boxes (any ``BaseInstance3DBoxes``) or of an array."""
    if hasattr(boxes, 'corners'):
        return boxes.corners.detach().cpu().numpy().astype(np.float64)
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 8, 3)


def bev_detections_image(points: Optional[np.ndarray], gt_corners: np.ndarray,
                         pred_corners: np.ndarray, pred_scores: Optional[np.ndarray],
                         pcr: Sequence[float], res: float = 0.1) -> np.ndarray:
    """LiDAR points, GT (green) and predicted (red) box footprints in BEV.

    Args:
        points (np.ndarray, optional): (P, >=2) LiDAR points.
        gt_corners (np.ndarray): (N, 8, 3).
        pred_corners (np.ndarray): (M, 8, 3).
        pred_scores (np.ndarray, optional): (M, ) scores (brightness).
        pcr (Sequence[float]): the drawn range ``[x0, y0, z0, x1, y1, z1]``.
        res (float): metres per pixel.

    Returns:
        np.ndarray: (H, W, 3) BGR, H = (y1 - y0) / res, W = (x1 - x0) / res.
    """
    w, h = int(round((pcr[3] - pcr[0]) / res)), int(round((pcr[4] - pcr[1]) / res))
    img = np.zeros((h, w, 3), np.uint8)
    if points is not None and len(points):
        px = np.floor(bev_pixel(points[:, :2], pcr, res)).astype(int)
        ok = (px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)
        img[px[ok, 1], px[ok, 0]] = POINT_COLOR
    scores = np.ones(len(pred_corners)) if pred_scores is None else np.asarray(pred_scores)
    for corners, score in zip(pred_corners, scores):
        color = tuple(int(c * (0.35 + 0.65 * float(score))) for c in PRED_COLOR)
        poly = np.round(bev_pixel(corners[BOTTOM, :2], pcr, res)).astype(np.int32)
        cv2.polylines(img, [poly], True, color, 1, cv2.LINE_8)
    for corners in gt_corners:
        poly = np.round(bev_pixel(corners[BOTTOM, :2], pcr, res)).astype(np.int32)
        cv2.polylines(img, [poly], True, GT_COLOR, 1, cv2.LINE_8)
    # ego at the origin
    ego = np.round(bev_pixel(np.zeros(2), pcr, res)).astype(int)
    cv2.circle(img, (int(ego[0]), int(ego[1])), 3, (255, 255, 255), -1)
    return img


def project_corners(corners: np.ndarray, lidar2img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(N, 8, 3) LiDAR corners -> ((N, 8, 2) pixels, (N, 8) depths) through a (4, 4) lidar2img."""
    homo = np.concatenate([corners, np.ones(corners.shape[:-1] + (1, ))], axis=-1)
    cam = homo @ np.asarray(lidar2img, dtype=np.float64).T
    depth = cam[..., 2]
    uv = cam[..., :2] / np.where(np.abs(depth) < 1e-6, 1e-6, depth)[..., None]
    return uv, depth


def draw_boxes_in_image(img: np.ndarray, corners: np.ndarray, lidar2img: np.ndarray,
                        color: Tuple[int, int, int], thickness: int = 2,
                        min_depth: float = 0.1) -> np.ndarray:
    """Draw the 12 edges of each box whose two end points lie in front of the camera."""
    uv, depth = project_corners(corners, lidar2img)
    for box_uv, box_d in zip(uv, depth):
        for a, b in BOX_EDGES:
            if box_d[a] > min_depth and box_d[b] > min_depth:
                cv2.line(img, tuple(int(round(v)) for v in box_uv[a]),
                         tuple(int(round(v)) for v in box_uv[b]), color, thickness, cv2.LINE_8)
    return img


def camera_detections_image(images: Sequence[np.ndarray], lidar2img: np.ndarray,
                            gt_corners: np.ndarray, pred_corners: np.ndarray,
                            names: Optional[Sequence[str]] = None,
                            columns: int = 3, width: int = 480) -> np.ndarray:
    """The camera images with GT (green) and predicted (red) 3D boxes projected, in a grid.

    Args:
        images (Sequence[np.ndarray]): N BGR images as loaded from disk (un-augmented).
        lidar2img (np.ndarray): (N, 4, 4) original LiDAR -> image matrices.
        gt_corners, pred_corners (np.ndarray): (K, 8, 3) in the original LiDAR frame.
        names (Sequence[str], optional): view names.
        columns (int): views per row.
        width (int): each view is resized to this width after drawing.

    Returns:
        np.ndarray: BGR grid.
    """
    views = []
    for i, img in enumerate(images):
        canvas = np.ascontiguousarray(img.copy())
        draw_boxes_in_image(canvas, pred_corners, lidar2img[i], PRED_COLOR)
        draw_boxes_in_image(canvas, gt_corners, lidar2img[i], GT_COLOR)
        scale = width / canvas.shape[1]
        canvas = cv2.resize(canvas, (width, int(round(canvas.shape[0] * scale))),
                            interpolation=cv2.INTER_AREA)
        views.append(label(canvas, names[i] if names else f'view {i}'))
    rows = [hstack(views[i:i + columns]) for i in range(0, len(views), columns)]
    return vstack(rows)


def to_original_frame(corners: np.ndarray, lidar_aug_matrix: Optional[np.ndarray]) -> np.ndarray:
    """Corners in the augmented LiDAR frame -> the original one (inverse ``lidar_aug_matrix``)."""
    if lidar_aug_matrix is None or not len(corners):
        return corners
    inv = np.linalg.inv(np.asarray(lidar_aug_matrix, dtype=np.float64))
    homo = np.concatenate([corners, np.ones(corners.shape[:-1] + (1, ))], axis=-1)
    return (homo @ inv.T)[..., :3]


def save(path: str, img: np.ndarray) -> str:
    """Write a PNG (directories created); return the path."""
    import os
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, img):
        raise IOError(f'could not write {path}')
    return path
