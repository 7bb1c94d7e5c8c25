# Copyright (c) distillbev contributors. All rights reserved.
"""Shared test helpers (``tests/`` is on ``sys.path`` through ``setup.cfg``)."""
