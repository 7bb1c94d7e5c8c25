# Copyright (c) distillbev contributors. All rights reserved.
"""StopDistillationHook, DistillWeightHook, TeacherFrozenGuardHook."""
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[2] / 'test_models' / 'test_distillers'))
from distill_tiny_models import build, distiller_cfg  # noqa: E402

from distillbev.engine.hooks import (DistillWeightHook, StopDistillationHook,  # noqa: E402
                                     TeacherFrozenGuardHook)


def _runner(model, epoch=0, it=0, optim=None):
    return SimpleNamespace(model=model, epoch=epoch, iter=it, optim_wrapper=optim,
                           train_dataloader=[0] * 10)


def test_stop_distillation_by_epoch_and_iter():
    model = SimpleNamespace(distillation_stopped=False, distill_weight=1.0)
    hook = StopDistillationHook(stop_epoch=2)
    hook.before_train_epoch(_runner(model, epoch=1))
    assert model.distillation_stopped is False
    hook.before_train_epoch(_runner(model, epoch=2))
    assert model.distillation_stopped is True
    hook = StopDistillationHook(stop_iter=5)
    hook.before_train_iter(_runner(model, it=4), 0)
    assert model.distillation_stopped is False
    hook.before_train_iter(_runner(model, it=5), 0)
    assert model.distillation_stopped is True
    with pytest.raises(ValueError):
        StopDistillationHook()
    with pytest.raises(TypeError, match='not a CrossModalDistiller'):
        hook.before_train_iter(_runner(torch.nn.Linear(1, 1)), 0)


def test_distill_weight_schedule():
    model = SimpleNamespace(distillation_stopped=False, distill_weight=1.0)
    hook = DistillWeightHook(points=[(0, 0.0), (100, 1.0), (200, 0.5)])
    for it, w in [(0, 0.0), (50, 0.5), (100, 1.0), (150, 0.75), (300, 0.5)]:
        hook.before_train_iter(_runner(model, it=it), 0)
        assert model.distill_weight == pytest.approx(w)
    hook = DistillWeightHook(points=[(0, 0.0), (2, 1.0)], by_epoch=True)
    hook.before_train_iter(_runner(model, epoch=1), 5)  # epoch 1.5 of 10 iterations/epoch
    assert model.distill_weight == pytest.approx(0.75)
    with pytest.raises(ValueError):
        DistillWeightHook(points=[(5, 1.0), (5, 2.0)])


def test_teacher_frozen_guard():
    model = build(distiller_cfg())
    hook = TeacherFrozenGuardHook(interval=1)
    runner = _runner(model, optim=SimpleNamespace(
        param_groups=[dict(params=list(model.student.parameters()))]))
    hook.before_train(runner)
    hook.check(runner)  # nothing changed
    with torch.no_grad():
        model.teacher.pts_backbone.blocks[0][1].running_mean.add_(1.0)
    with pytest.raises(RuntimeError, match='changed during training'):
        hook.check(runner)
    fresh = build(distiller_cfg())
    fresh.teacher.pts_neck.train()
    with pytest.raises(RuntimeError, match='training mode'):
        hook.before_train(_runner(fresh))
    fresh.teacher.eval()
    leaky = _runner(fresh, optim=SimpleNamespace(
        param_groups=[dict(params=list(fresh.teacher.parameters()))]))
    with pytest.raises(RuntimeError, match='in the optimizer'):
        hook.before_train(leaky)
