# Copyright (c) distillbev contributors. All rights reserved.
"""Evaluation helpers: exact CPU rotated-box overlaps for mmdet3d's KITTI metric and devkit's
box-class lookup that accepts all-empty predictions. They are installed into the stock libraries
by :mod:`distillbev.utils.compat` (patches ``kitti_cpu_rotate_iou`` and
``nuscenes_empty_predictions``), not here. ``metrics`` registers :class:`NuScenesClassSubsetMetric`
(a config names it)."""
from . import metrics  # noqa: F401
from .functional import (box_class_field, install_cpu_rotate_iou, install_empty_predictions_fix,
                         rotate_iou_cpu_eval)

__all__ = ['rotate_iou_cpu_eval', 'box_class_field', 'install_cpu_rotate_iou',
           'install_empty_predictions_fix']
