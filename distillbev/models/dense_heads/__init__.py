# Copyright (c) distillbev contributors. All rights reserved.
"""Dense heads that our configs name explicitly (stock heads stay untouched)."""
from .center_head_with_prior import CenterHeadWithPrior
from .depth_distribution_branch import DepthDistributionBranch
from .monodle_head import MonoDLEHead

__all__ = ['CenterHeadWithPrior', 'MonoDLEHead', 'DepthDistributionBranch']
