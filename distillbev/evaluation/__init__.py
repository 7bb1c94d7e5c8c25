# Copyright (c) distillbev contributors. All rights reserved.
"""Evaluation helpers. Importing this package makes mmdet3d's KITTI metric run on CPU-only
machines (exact rotated-box overlaps instead of the numba CUDA kernels) and lets the nuScenes
metric score a model that predicts no box (mAP 0 instead of a devkit exception)."""
from .functional import (install_cpu_rotate_iou, install_empty_predictions_fix,
                         rotate_iou_cpu_eval)

install_cpu_rotate_iou()
install_empty_predictions_fix()

__all__ = ['rotate_iou_cpu_eval', 'install_cpu_rotate_iou', 'install_empty_predictions_fix']
