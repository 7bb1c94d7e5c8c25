# Copyright (c) distillbev contributors. All rights reserved.
from .env import DistillBEVEnvironmentError, check_environment

__all__ = ['DistillBEVEnvironmentError', 'check_environment']
