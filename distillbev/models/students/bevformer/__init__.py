# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer (Li et al., ECCV 2022) on mmdet3d 1.x: one concern per module."""
from .bbox_coder import NMSFreeBBox3DCoder, denormalize_bbox, normalize_bbox
from .bev_queries import BEVQueries
from .decoder import BEVFormerDecoder, BEVFormerDecoderLayer
from .detector import BEVFormer
from .encoder import BEVFormerEncoder, BEVFormerEncoderLayer
from .head import BEVFormerHead
from .match_cost import BBox3DL1MatchCost
from .spatial_cross_attention import (BEVSpatialCrossAttention, pillar_points,
                                      project_to_views, reference_points_cam)
from .temporal_self_attention import BEVTemporalSelfAttention, align_prev_bev

__all__ = [
    'BEVQueries', 'BEVTemporalSelfAttention', 'BEVSpatialCrossAttention', 'BEVFormerEncoderLayer',
    'BEVFormerEncoder', 'BEVFormerDecoderLayer', 'BEVFormerDecoder', 'BEVFormerHead',
    'NMSFreeBBox3DCoder', 'BBox3DL1MatchCost', 'BEVFormer', 'align_prev_bev', 'pillar_points',
    'project_to_views', 'reference_points_cam', 'normalize_bbox', 'denormalize_bbox'
]
