# Copyright (c) distillbev contributors. All rights reserved.
from . import compat
from .env import DistillBEVEnvironmentError, check_environment
from .geometry import pad_to_4x4

__all__ = ['DistillBEVEnvironmentError', 'check_environment', 'compat', 'pad_to_4x4']
