# Copyright (c) distillbev contributors. All rights reserved.
"""CPU replacement of mmdet3d's KITTI rotated-box overlap (``rotate_iou_gpu_eval``).

mmdet3d's KITTI evaluation (``mmdet3d.evaluation.functional.kitti_utils.eval``) computes BEV and
3D overlaps with numba CUDA kernels, which fail without a GPU (and numba's CUDA simulator gives
wrong overlaps). :func:`rotate_iou_cpu_eval` computes the same quantity exactly on the CPU: each
rectangle is built with the kernel's corner convention (angle clockwise when positive, the KITTI
camera-frame BEV), one rectangle is clipped by the four half-planes of the other
(Sutherland-Hodgman) and the clipped polygon's area is the intersection.

It is installed into mmdet3d on CPU-only machines by the ``kitti_cpu_rotate_iou`` patch of
:mod:`distillbev.utils.compat`.
"""
import math

import numba
import numpy as np

_MAX_VERTS = 16
_EPS = 1e-12


@numba.njit(cache=False)
def _corners(box: np.ndarray, out: np.ndarray) -> None:
    """Counter-clockwise corners (4, 2) of a box (cx, cy, dx, dy, angle clockwise)."""
    c, s = math.cos(box[4]), math.sin(box[4])
    hx, hy = box[2] / 2.0, box[3] / 2.0
    # same local corners and rotation [[c, s], [-s, c]] as mmdet3d's rbbox_to_corners, listed
    # in counter-clockwise order (the kernel's order is clockwise)
    lx = (-hx, hx, hx, -hx)
    ly = (-hy, -hy, hy, hy)
    for i in range(4):
        out[i, 0] = c * lx[i] + s * ly[i] + box[0]
        out[i, 1] = -s * lx[i] + c * ly[i] + box[1]


@numba.njit(cache=False)
def _polygon_area(pts: np.ndarray, n: int) -> float:
    """Absolute shoelace area of the first ``n`` vertices of ``pts`` (M, 2)."""
    acc = 0.0
    for i in range(n):
        j = (i + 1) % n
        acc += pts[i, 0] * pts[j, 1] - pts[j, 0] * pts[i, 1]
    return abs(acc) / 2.0


@numba.njit(cache=False)
def _intersection_area(c1: np.ndarray, c2: np.ndarray, buf_a: np.ndarray,
                       buf_b: np.ndarray) -> float:
    """Area of the intersection of two convex counter-clockwise quadrilaterals (4, 2)."""
    n = 4
    for i in range(4):
        buf_a[i, 0] = c1[i, 0]
        buf_a[i, 1] = c1[i, 1]
    src, dst = buf_a, buf_b
    for e in range(4):
        ax, ay = c2[e, 0], c2[e, 1]
        bx, by = c2[(e + 1) % 4, 0], c2[(e + 1) % 4, 1]
        ex, ey = bx - ax, by - ay
        m = 0
        for i in range(n):
            px, py = src[i, 0], src[i, 1]
            qx, qy = src[(i + 1) % n, 0], src[(i + 1) % n, 1]
            # signed distance-like value: >= 0 inside (left of the CCW edge)
            sp = ex * (py - ay) - ey * (px - ax)
            sq = ex * (qy - ay) - ey * (qx - ax)
            if sp >= 0.0:
                dst[m, 0] = px
                dst[m, 1] = py
                m += 1
            if (sp >= 0.0) != (sq >= 0.0):
                t = sp / (sp - sq)
                dst[m, 0] = px + t * (qx - px)
                dst[m, 1] = py + t * (qy - py)
                m += 1
        n = m
        if n < 3:
            return 0.0
        src, dst = dst, src
    return _polygon_area(src, n)


@numba.njit(cache=False)
def _rotate_iou_kernel(boxes: np.ndarray, query_boxes: np.ndarray, criterion: int,
                       out: np.ndarray) -> None:
    n, k = boxes.shape[0], query_boxes.shape[0]
    c1 = np.empty((4, 2), dtype=np.float64)
    c2 = np.empty((4, 2), dtype=np.float64)
    buf_a = np.empty((_MAX_VERTS, 2), dtype=np.float64)
    buf_b = np.empty((_MAX_VERTS, 2), dtype=np.float64)
    q_corners = np.empty((k, 4, 2), dtype=np.float64)
    for j in range(k):
        _corners(query_boxes[j], q_corners[j])
    for i in range(n):
        _corners(boxes[i], c1)
        area1 = boxes[i, 2] * boxes[i, 3]
        for j in range(k):
            area2 = query_boxes[j, 2] * query_boxes[j, 3]
            for a in range(4):
                c2[a, 0] = q_corners[j, a, 0]
                c2[a, 1] = q_corners[j, a, 1]
            inter = _intersection_area(c1, c2, buf_a, buf_b)
            if criterion == -1:
                den = area1 + area2 - inter
            elif criterion == 0:
                den = area1
            elif criterion == 1:
                den = area2
            else:
                out[i, j] = inter
                continue
            out[i, j] = inter / den if den > _EPS else 0.0


def rotate_iou_cpu_eval(boxes: np.ndarray, query_boxes: np.ndarray, criterion: int = -1,
                        device_id: int = 0) -> np.ndarray:
    """Overlaps of rotated BEV boxes on the CPU, a drop-in for mmdet3d's ``rotate_iou_gpu_eval``.

    Args:
        boxes (np.ndarray): (N, 5) boxes ``(cx, cy, dx, dy, angle)``, angle clockwise when
            positive (KITTI camera-frame BEV, as in the CUDA kernel).
        query_boxes (np.ndarray): (K, 5) boxes in the same format.
        criterion (int): -1: IoU ``inter / (area1 + area2 - inter)``; 0: ``inter / area1``;
            1: ``inter / area2``; any other value: the intersection area itself.
            Zero denominators give 0.
        device_id (int): Unused, kept for signature compatibility.

    Returns:
        np.ndarray: (N, K) float32 overlaps.
    """
    del device_id
    boxes = np.ascontiguousarray(boxes, dtype=np.float64).reshape(-1, 5)
    query_boxes = np.ascontiguousarray(query_boxes, dtype=np.float64).reshape(-1, 5)
    out = np.zeros((boxes.shape[0], query_boxes.shape[0]), dtype=np.float64)
    if boxes.shape[0] and query_boxes.shape[0]:
        _rotate_iou_kernel(boxes, query_boxes, int(criterion), out)
    return out.astype(np.float32)


__all__ = ['rotate_iou_cpu_eval']
