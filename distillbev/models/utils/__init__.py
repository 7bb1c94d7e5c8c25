# Copyright (c) distillbev contributors. All rights reserved.
from .centerhead_init import patch_centerhead_init

__all__ = ['patch_centerhead_init']
