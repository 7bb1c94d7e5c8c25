# Copyright (c) distillbev contributors. All rights reserved.
from . import (adapters, dense_heads, distillers, kd_targets, layers,  # noqa: F401
               losses, pretrainers, students, utils, view_transforms)
