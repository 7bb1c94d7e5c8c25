# Copyright (c) distillbev contributors. All rights reserved.
"""Knowledge-distillation losses, one per file, each citing its paper."""
from .affinity_distill_loss import AffinityDistillLoss
from .anchor_response_loss import AnchorResponseLoss
from .depth_mimic_loss import DepthMimicLoss
from .dual_kl_loss import DualKLLoss
from .fgbg_attention_feature_loss import FGBGAttentionFeatureLoss
from .heatmap_response_loss import HeatmapResponseLoss
from .keypoint_box_base import KeypointBoxLoss
from .keypoint_feature_loss import KeypointFeatureLoss
from .keypoint_relation_loss import KeypointRelationLoss
from .masked_feature_mimic_loss import MaskedFeatureMimicLoss
from .mono_head_response_loss import MonoHeadResponseLoss
from .mono_object_feature_loss import MonoObjectFeatureLoss
from .regression_response_loss import RegressionResponseLoss

__all__ = [
    'MaskedFeatureMimicLoss', 'HeatmapResponseLoss', 'RegressionResponseLoss',
    'KeypointFeatureLoss', 'KeypointRelationLoss', 'FGBGAttentionFeatureLoss', 'KeypointBoxLoss',
    'AffinityDistillLoss', 'AnchorResponseLoss', 'MonoObjectFeatureLoss', 'MonoHeadResponseLoss',
    'DualKLLoss', 'DepthMimicLoss'
]
