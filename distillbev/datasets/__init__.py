# Copyright (c) distillbev contributors. All rights reserved.
from . import transforms  # noqa: F401
from .temporal import TemporalFrames

__all__ = ['TemporalFrames']
