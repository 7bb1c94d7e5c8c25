# Copyright (c) distillbev contributors. All rights reserved.
from .depth_image_data_preprocessor import DepthImageDet3DDataPreprocessor
from .temporal_data_preprocessor import TemporalDet3DDataPreprocessor

__all__ = ['TemporalDet3DDataPreprocessor', 'DepthImageDet3DDataPreprocessor']
