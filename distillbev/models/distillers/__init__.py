# Copyright (c) distillbev contributors. All rights reserved.
from .cross_modal_distiller import CrossModalDistiller
from .refs import DistillerConfigError
from .taps import FeatureTap, TapRecorder

__all__ = ['CrossModalDistiller', 'DistillerConfigError', 'FeatureTap', 'TapRecorder']
