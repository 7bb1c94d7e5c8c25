# Copyright (c) distillbev contributors. All rights reserved.
from .distill_hooks import (DistillPipelineCheckHook, DistillWeightHook, StopDistillationHook,
                            TeacherFrozenGuardHook)
from .kd_probe_hook import KDTermProbeHook
from .rng_state_hook import RNGStateCheckpointHook
from .visualization_hook import DistillVisualizationHook

__all__ = [
    'StopDistillationHook', 'DistillWeightHook', 'TeacherFrozenGuardHook', 'KDTermProbeHook',
    'DistillPipelineCheckHook', 'RNGStateCheckpointHook', 'DistillVisualizationHook'
]
