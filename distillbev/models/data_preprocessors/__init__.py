# Copyright (c) distillbev contributors. All rights reserved.
from .temporal_data_preprocessor import TemporalDet3DDataPreprocessor

__all__ = ['TemporalDet3DDataPreprocessor']
