# Copyright (c) distillbev contributors. All rights reserved.
from .distill_hooks import (DistillPipelineCheckHook, DistillWeightHook, StopDistillationHook,
                            TeacherFrozenGuardHook)
from .kd_probe_hook import KDTermProbeHook

__all__ = [
    'StopDistillationHook', 'DistillWeightHook', 'TeacherFrozenGuardHook', 'KDTermProbeHook',
    'DistillPipelineCheckHook'
]
