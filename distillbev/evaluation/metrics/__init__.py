# Copyright (c) distillbev contributors. All rights reserved.
from .nuscenes_class_subset_metric import NuScenesClassSubsetMetric, subset_detection_scores

__all__ = ['NuScenesClassSubsetMetric', 'subset_detection_scores']
