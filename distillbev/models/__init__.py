# Copyright (c) distillbev contributors. All rights reserved.
from . import (adapters, data_preprocessors, dense_heads, distillers,  # noqa: F401
               kd_targets, layers, losses, pretrainers, students, utils, view_transforms)
