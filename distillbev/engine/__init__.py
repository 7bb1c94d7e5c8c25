# Copyright (c) distillbev contributors. All rights reserved.
from . import hooks  # noqa: F401
from .checkpoint import atomic_save_checkpoint, mmengine_safe_globals

__all__ = ['atomic_save_checkpoint', 'mmengine_safe_globals']
