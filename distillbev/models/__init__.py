# Copyright (c) distillbev contributors. All rights reserved.
from . import (adapters, distillers, kd_targets, losses, students,  # noqa: F401
               view_transforms)
