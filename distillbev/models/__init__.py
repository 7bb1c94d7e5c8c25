# Copyright (c) distillbev contributors. All rights reserved.
from . import (adapters, distillers, kd_targets, losses, students,  # noqa: F401
               view_transforms)
from .utils import patch_centerhead_init

patch_centerhead_init()
