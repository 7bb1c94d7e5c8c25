# Copyright (c) distillbev contributors. All rights reserved.
"""Evaluation helpers. Importing this package makes mmdet3d's KITTI metric run on CPU-only
machines (exact rotated-box overlaps instead of the numba CUDA kernels)."""
from .functional import install_cpu_rotate_iou, rotate_iou_cpu_eval

install_cpu_rotate_iou()

__all__ = ['rotate_iou_cpu_eval', 'install_cpu_rotate_iou']
