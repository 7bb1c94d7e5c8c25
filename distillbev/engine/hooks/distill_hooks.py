# Copyright (c) distillbev contributors. All rights reserved.
"""Hooks for :class:`CrossModalDistiller`: stop or schedule distillation, guard the teacher, check
the training pipeline."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...models.distillers.pipeline_check import bind_teacher_cache, check_distill_pipeline


def _distiller(runner):
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if not hasattr(model, 'distillation_stopped'):
        raise TypeError(f'{type(model).__name__} is not a CrossModalDistiller: the distillation '
                        f'hooks only work with type="CrossModalDistiller" models')
    return model


@HOOKS.register_module()
class StopDistillationHook(Hook):
    """Turn the distillation losses (and the teacher forward) off from an epoch or iteration on.

    The flag is recomputed from ``runner.epoch`` / ``runner.iter`` before every epoch/iteration,
    so it is right after ``--resume`` too. With DDP, set ``find_unused_parameters=True`` (the
    adapters and loss parameters stop receiving gradients).

    Args:
        stop_epoch (int, optional): first epoch (0-based, as ``runner.epoch``) without KD.
        stop_iter (int, optional): first iteration (0-based) without KD.
    """

    priority = 'LOW'

    def __init__(self, stop_epoch: Optional[int] = None, stop_iter: Optional[int] = None) -> None:
        if (stop_epoch is None) == (stop_iter is None):
            raise ValueError('StopDistillationHook needs exactly one of stop_epoch, stop_iter')
        self.stop_epoch, self.stop_iter = stop_epoch, stop_iter

    def before_train_epoch(self, runner) -> None:
        if self.stop_epoch is not None:
            _distiller(runner).distillation_stopped = runner.epoch >= self.stop_epoch

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.stop_iter is not None:
            _distiller(runner).distillation_stopped = runner.iter >= self.stop_iter


@HOOKS.register_module()
class DistillWeightHook(Hook):
    """Piecewise-linear schedule of the distiller's global ``distill_weight``.

    Args:
        points (Sequence[tuple]): ``[(step, weight), ...]`` with increasing steps; the weight is
            interpolated linearly between points and held constant outside them.
        by_epoch (bool): steps are epochs (fractional within an epoch) instead of iterations.
            Defaults to False.

    Example: ``dict(type='DistillWeightHook', points=[(0, 0.), (500, 1.)])`` ramps KD in over the
    first 500 iterations.
    """

    priority = 'LOW'

    def __init__(self, points: Sequence[Tuple[float, float]], by_epoch: bool = False) -> None:
        pts = [(float(s), float(w)) for s, w in points]
        if not pts or any(b[0] <= a[0] for a, b in zip(pts, pts[1:])):
            raise ValueError('DistillWeightHook points must be non-empty with increasing steps')
        self.points, self.by_epoch = pts, by_epoch

    def weight_at(self, step: float) -> float:
        """The scheduled weight at ``step``."""
        pts = self.points
        if step <= pts[0][0]:
            return pts[0][1]
        for (s0, w0), (s1, w1) in zip(pts, pts[1:]):
            if step <= s1:
                return w0 + (w1 - w0) * (step - s0) / (s1 - s0)
        return pts[-1][1]

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.by_epoch:
            n = max(1, len(runner.train_dataloader))
            step = runner.epoch + batch_idx / n
        else:
            step = runner.iter
        _distiller(runner).distill_weight = self.weight_at(step)


@HOOKS.register_module()
class TeacherFrozenGuardHook(Hook):
    """Fail fast if the teacher could change: it is checked before training (in eval mode, no
    parameter requiring grad, none in the optimizer) and every ``interval`` iterations its
    parameters and buffers must be bit-identical to their state at the start.

    The reference is a CPU copy of the teacher's state (a few to a few hundred MB); pass
    ``interval=0`` to check only the static properties.

    Args:
        interval (int): iterations between full comparisons. Defaults to 1000.
    """

    priority = 'VERY_LOW'

    def __init__(self, interval: int = 1000) -> None:
        self.interval = interval
        self._reference = None

    def _problems(self, model, runner) -> List[str]:
        teacher = model.teacher
        problems = []
        training = [n for n, m in teacher.named_modules() if m.training]
        if training:
            problems.append(f'teacher modules in training mode: {training[:5]}')
        grads = [n for n, p in teacher.named_parameters() if p.requires_grad]
        if grads:
            problems.append(f'teacher parameters with requires_grad=True: {grads[:5]}')
        optim = getattr(runner, 'optim_wrapper', None)
        if optim is not None and hasattr(optim, 'param_groups'):
            ids = {id(p) for g in optim.param_groups for p in g['params']}
            leaked = [n for n, p in teacher.named_parameters() if id(p) in ids]
            if leaked:
                problems.append(f'teacher parameters in the optimizer: {leaked[:5]}')
        return problems

    def before_train(self, runner) -> None:
        model = _distiller(runner)
        problems = self._problems(model, runner)
        if problems:
            raise RuntimeError('teacher is not frozen: ' + '; '.join(problems))
        if self.interval:
            self._reference = {k: v.detach().cpu().clone()
                               for k, v in model.teacher.state_dict().items()}

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.interval or not self.every_n_train_iters(runner, self.interval):
            return
        self.check(runner)

    def after_train(self, runner) -> None:
        if self.interval:
            self.check(runner)

    def check(self, runner) -> None:
        """Compare the teacher with its state at ``before_train``; raise on any change."""
        model = _distiller(runner)
        problems = self._problems(model, runner)
        if self._reference is not None:
            state = model.teacher.state_dict()
            changed = [k for k, v in self._reference.items()
                       if not torch.equal(state[k].detach().cpu(), v)]
            if changed:
                problems.append(f'teacher tensors changed during training: {changed[:5]}')
        if problems:
            raise RuntimeError('teacher is not frozen: ' + '; '.join(problems))


@HOOKS.register_module()
class DistillPipelineCheckHook(Hook):
    """Check, before the run, that the training pipeline can feed the distiller
    (:func:`~distillbev.models.distillers.pipeline_check.check_distill_pipeline`), and bind a
    teacher-feature cache to the pipeline's fingerprint.

    ``tools/train.py`` runs the same check on every config; this hook brings it to other
    launchers (``mim train``, mmdet3d's own ``tools/train.py``). The distillation base configs
    list it in ``custom_hooks``.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        check_distill_pipeline(runner.cfg)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        folder = bind_teacher_cache(runner.cfg, model)
        if folder is not None:
            runner.logger.info(f'teacher-feature cache: {folder}')
