# Copyright (c) distillbev contributors. All rights reserved.
from .cross_modal_distiller import CrossModalDistiller
from .plan import DistillationPlan
from .refs import DistillerConfigError
from .taps import FeatureTap, TapRecorder
from .teacher_runners import (TeacherDepthImageRunner, TeacherFeatureHeadRunner,
                              TeacherFeatureRunner, TeacherRunner, TeacherTensorRunner)

__all__ = [
    'CrossModalDistiller', 'DistillationPlan', 'DistillerConfigError', 'FeatureTap',
    'TapRecorder', 'TeacherRunner', 'TeacherFeatureRunner', 'TeacherFeatureHeadRunner',
    'TeacherTensorRunner', 'TeacherDepthImageRunner'
]
