# Copyright (c) distillbev contributors. All rights reserved.
from . import transforms  # noqa: F401
from .temporal import TemporalFrames, can_bus_delta, can_bus_patch_angle

__all__ = ['TemporalFrames', 'can_bus_delta', 'can_bus_patch_angle']
