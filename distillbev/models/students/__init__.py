# Copyright (c) distillbev contributors. All rights reserved.
from .bev_encoder import BEVLSSFPNNeck, BEVResNetBackbone
from .bevdet import BEVDepth, BEVDet

__all__ = ['BEVResNetBackbone', 'BEVLSSFPNNeck', 'BEVDet', 'BEVDepth']
