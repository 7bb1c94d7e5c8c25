# Copyright (c) distillbev contributors. All rights reserved.
"""Building blocks shared by students and view transforms: plain modules (``ResBlock2d``) and
registered BEV necks (``SCNetBEVNeck``, in mmdet3d's MODELS)."""
from .res_block import ResBlock2d
from .scnet import SCBottleneck, SCNetBEVNeck, SelfCalibratedConv

__all__ = ['ResBlock2d', 'SCBottleneck', 'SCNetBEVNeck', 'SelfCalibratedConv']
