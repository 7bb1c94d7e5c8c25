# Copyright (c) distillbev contributors. All rights reserved.
from .nuscenes_empty_predictions import install_empty_predictions_fix
from .rotate_iou_cpu import install_cpu_rotate_iou, rotate_iou_cpu_eval

__all__ = ['rotate_iou_cpu_eval', 'install_cpu_rotate_iou', 'install_empty_predictions_fix']
