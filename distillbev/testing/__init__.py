# Copyright (c) distillbev contributors. All rights reserved.
"""Synthetic inputs with consistent camera geometry, shared by the tests and the benchmarks."""
from .cameras import camera_ring
from .samples import lidar_points, lift_inputs, multiview_data_sample, pool_inputs

__all__ = ['camera_ring', 'lidar_points', 'lift_inputs', 'multiview_data_sample', 'pool_inputs']
