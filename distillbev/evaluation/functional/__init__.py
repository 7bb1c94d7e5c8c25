# Copyright (c) distillbev contributors. All rights reserved.
from distillbev.utils.compat import install_cpu_rotate_iou, install_empty_predictions_fix
from .nuscenes_empty_predictions import box_class_field
from .rotate_iou_cpu import rotate_iou_cpu_eval

__all__ = ['rotate_iou_cpu_eval', 'box_class_field', 'install_cpu_rotate_iou',
           'install_empty_predictions_fix']
