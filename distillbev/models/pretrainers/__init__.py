# Copyright (c) distillbev contributors. All rights reserved.
from .image_depth_pretrainer import ImageDepthPretrainer

__all__ = ['ImageDepthPretrainer']
