# Copyright (c) distillbev contributors. All rights reserved.
from .channel_wise_divergence_bev_loss import ChannelWiseDivergenceBEVLoss

__all__ = ['ChannelWiseDivergenceBEVLoss']
