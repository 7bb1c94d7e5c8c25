# Copyright (c) distillbev contributors. All rights reserved.
"""Torch-only math shared by the KD targets and the KD losses."""
from .head_outputs import (clip_sigmoid, heatmap_prob, max_class_prob, max_over_tasks,
                           task_dicts, task_heatmaps, teacher_confidence)

__all__ = ['task_dicts', 'task_heatmaps', 'clip_sigmoid', 'heatmap_prob', 'max_over_tasks',
           'max_class_prob', 'teacher_confidence']
