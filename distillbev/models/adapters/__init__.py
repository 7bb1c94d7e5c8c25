# Copyright (c) distillbev contributors. All rights reserved.
from .abf_adapter import ABFAdapter
from .feature_adapters import (Conv1x1Adapter, ConvReLUConvAdapter, IdentityAdapter,
                               UpsampleMLPAdapter)

__all__ = ['IdentityAdapter', 'Conv1x1Adapter', 'ConvReLUConvAdapter', 'UpsampleMLPAdapter',
           'ABFAdapter']
