# Copyright (c) distillbev contributors. All rights reserved.
"""Plain building blocks (no registration) shared by students and view transforms."""
from .res_block import ResBlock2d

__all__ = ['ResBlock2d']
