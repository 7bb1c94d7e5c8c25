# Copyright (c) distillbev contributors. All rights reserved.
"""CPU rotated-box overlaps for mmdet3d's KITTI evaluation, against hand-computed areas."""
import math

import numpy as np
import pytest

from distillbev.evaluation.functional import install_cpu_rotate_iou, rotate_iou_cpu_eval


def _iou(a, b, criterion=-1):
    return rotate_iou_cpu_eval(np.array([a], np.float32), np.array([b], np.float32),
                               criterion)[0, 0]


def test_identical_and_disjoint():
    box = [3.0, -2.0, 4.0, 1.5, 0.7]
    for crit in (-1, 0, 1):
        assert _iou(box, box, crit) == pytest.approx(1.0, abs=1e-6)
    assert _iou(box, box, 2) == pytest.approx(6.0, abs=1e-5)  # raw intersection area
    assert _iou(box, [30.0, 0.0, 4.0, 1.5, 0.7]) == 0.0


def test_rotated_by_90_degrees():
    # 4x2 rectangle vs itself turned 90 deg: a 2x2 square in common, union 8 + 8 - 4 = 12
    a, b = [0.0, 0.0, 4.0, 2.0, 0.0], [0.0, 0.0, 4.0, 2.0, math.pi / 2]
    assert _iou(a, b) == pytest.approx(4 / 12, abs=1e-6)
    assert _iou(a, b, 0) == pytest.approx(0.5, abs=1e-6)
    assert _iou(a, b, 2) == pytest.approx(4.0, abs=1e-5)
    # a square turned 90 deg is itself
    assert _iou([1.0, 1.0, 2.0, 2.0, 0.0], [1.0, 1.0, 2.0, 2.0, math.pi / 2]) == pytest.approx(
        1.0, abs=1e-6)


def test_square_and_45_degree_square():
    # regular octagon: 4 - 4 corner triangles with legs 2 - sqrt(2) -> IoU = 1 / sqrt(2)
    a, b = [0.0, 0.0, 2.0, 2.0, 0.0], [0.0, 0.0, 2.0, 2.0, math.pi / 4]
    assert _iou(a, b, 2) == pytest.approx(8 * math.sqrt(2) - 8, abs=1e-5)
    assert _iou(a, b) == pytest.approx(1 / math.sqrt(2), abs=1e-6)


def test_half_overlap_and_criteria():
    a, b = [0.0, 0.0, 2.0, 2.0, 0.0], [1.0, 0.0, 2.0, 2.0, 0.0]
    assert _iou(a, b) == pytest.approx(2 / 6, abs=1e-6)
    assert _iou(a, b, 0) == pytest.approx(0.5, abs=1e-6)
    assert _iou(a, b, 1) == pytest.approx(0.5, abs=1e-6)
    # different areas: 2x2 vs 4x2 shifted by 2 along x -> intersection 1 x 2 = 2
    c = [2.0, 0.0, 4.0, 2.0, 0.0]
    assert _iou(a, c, -1) == pytest.approx(2 / (4 + 8 - 2), abs=1e-6)
    assert _iou(a, c, 0) == pytest.approx(2 / 4, abs=1e-6)
    assert _iou(a, c, 1) == pytest.approx(2 / 8, abs=1e-6)


def test_angle_is_clockwise_like_the_cuda_kernel():
    # a 4x1 box turned +45 deg clockwise points along (1, -1): the small square at (1, -1)
    # lies inside it; at (1, 1) it would lie inside a counter-clockwise box only.
    long_box = [0.0, 0.0, 4.0, 1.0, math.pi / 4]
    assert _iou(long_box, [1.0, -1.0, 0.2, 0.2, 0.0], 1) == pytest.approx(1.0, abs=1e-6)
    assert _iou(long_box, [1.0, 1.0, 0.2, 0.2, 0.0], 1) == 0.0


def test_matrix_shape_dtype_and_empty():
    boxes = np.array([[0, 0, 2, 2, 0], [1, 0, 2, 2, 0], [9, 9, 1, 1, 0.3]], np.float64)
    out = rotate_iou_cpu_eval(boxes, boxes[:2])
    assert out.shape == (3, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out, [[1, 1 / 3], [1 / 3, 1], [0, 0]], atol=1e-6)
    assert rotate_iou_cpu_eval(boxes[:0], boxes).shape == (0, 3)


def test_random_boxes_against_shapely():
    shapely = pytest.importorskip('shapely')
    from shapely.geometry import Polygon
    rng = np.random.default_rng(0)
    boxes = np.c_[rng.uniform(-3, 3, (40, 2)), rng.uniform(0.5, 4, (40, 2)),
                  rng.uniform(-np.pi, np.pi, 40)]

    def poly(b):  # clockwise rotation, as in the CUDA kernel
        c, s = math.cos(b[4]), math.sin(b[4])
        pts = [(-b[2] / 2, -b[3] / 2), (b[2] / 2, -b[3] / 2), (b[2] / 2, b[3] / 2),
               (-b[2] / 2, b[3] / 2)]
        return Polygon([(c * x + s * y + b[0], -s * x + c * y + b[1]) for x, y in pts])

    ref = np.array([[poly(a).intersection(poly(b)).area / poly(a).union(poly(b)).area
                     for b in boxes] for a in boxes])
    assert shapely.__version__
    np.testing.assert_allclose(rotate_iou_cpu_eval(boxes, boxes), ref, atol=1e-5)


def test_installed_into_mmdet3d_kitti_eval():
    from mmdet3d.evaluation.functional.kitti_utils import eval as kitti_eval
    from mmdet3d.evaluation.functional.kitti_utils import rotate_iou
    assert install_cpu_rotate_iou(force=True)
    assert rotate_iou.rotate_iou_gpu_eval is rotate_iou_cpu_eval
    # KITTI camera-frame boxes (x, y, z, l, h, w, ry): bev uses (x, z, l, w, ry)
    a = np.array([[0.0, 1.0, 10.0, 2.0, 1.5, 2.0, 0.0]])
    b = np.array([[1.0, 1.0, 10.0, 2.0, 1.5, 2.0, 0.0]])
    assert kitti_eval.bev_box_overlap(a[:, [0, 2, 3, 5, 6]], b[:, [0, 2, 3, 5, 6]])[
        0, 0] == pytest.approx(1 / 3, abs=1e-6)
    # same height range -> 3D IoU equals the BEV IoU; half the height -> 1/3 * ... check
    assert kitti_eval.d3_box_overlap(a, b)[0, 0] == pytest.approx(1 / 3, abs=1e-6)
    c = b.copy()
    c[0, 1] = 1.0 - 0.75  # shifted up by half the height: 3D intersection 2 * 0.75 = 1.5
    assert kitti_eval.d3_box_overlap(a, c)[0, 0] == pytest.approx(1.5 / (6 + 6 - 1.5), abs=1e-6)
