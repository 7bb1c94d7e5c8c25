# Copyright (c) distillbev contributors. All rights reserved.
"""Data structures shared across distillbev (the BEV grid)."""
from .bev_grid import BEVGrid, build_bev_grid

__all__ = ['BEVGrid', 'build_bev_grid']
