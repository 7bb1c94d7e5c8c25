# Copyright (c) distillbev contributors. All rights reserved.
from . import transforms  # noqa: F401
