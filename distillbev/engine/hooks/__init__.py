# Copyright (c) distillbev contributors. All rights reserved.
from .distill_hooks import DistillWeightHook, StopDistillationHook, TeacherFrozenGuardHook

__all__ = ['StopDistillationHook', 'DistillWeightHook', 'TeacherFrozenGuardHook']
