# Copyright (c) distillbev contributors. All rights reserved.
from .bev_encoder import BEVLSSFPNNeck, BEVResNetBackbone
from .bevdepth4d import BEVDepth4D, BEVDet4D, warp_bev
from .bevdet import BEVDepth, BEVDet
from .bevformer import (BBox3DL1MatchCost, BEVFormer, BEVFormerEncoder, BEVFormerHead,
                        NMSFreeBBox3DCoder)
from .cmkd_mono import CMKDMonoBEV
from .monodle import MonoDLECenterNet3D

__all__ = [
    'BEVResNetBackbone', 'BEVLSSFPNNeck', 'BEVDet', 'BEVDepth', 'BEVDet4D', 'BEVDepth4D',
    'warp_bev', 'MonoDLECenterNet3D', 'BEVFormer', 'BEVFormerEncoder', 'BEVFormerHead',
    'NMSFreeBBox3DCoder', 'BBox3DL1MatchCost', 'CMKDMonoBEV'
]
