# Copyright (c) distillbev contributors. All rights reserved.
"""CrossModalDistiller: a frozen LiDAR (or depth-image) teacher teaches an mmdet3d student."""
import contextlib
import copy
import logging
import math
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmdet3d.models.detectors import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures.det3d_data_sample import SampleList
from mmengine.logging import MessageHub, print_log
from torch import nn

from ...structures.bev_grid import BEVGrid
from .batch_check import check_collated
from .plan import DistillationPlan, device_type
from .refs import DistillerConfigError
from .taps import TapRecorder
from .teacher import (TeacherHolder, check_class_order, check_grids, inherit_weights,
                      load_frozen_teacher, mmdet3d_scope, model_config)
from .teacher_cache import TeacherFeatureCache, file_digest
from .teacher_runners import build_teacher_runner


NONFINITE_MODES = ('raise', 'skip', 'off')


@MODELS.register_module()
class CrossModalDistiller(Base3DDetector):
    """A frozen teacher, a student, and a distillation plan; the student is what is deployed.

    The teacher (any mmdet3d detector, from a config and a checkpoint) is frozen and kept out of
    the module tree: not in ``parameters()`` (optimizer, DDP), ``state_dict()`` (checkpoints) or
    ``train()``; ``to()``/``half()`` move it with the distiller. ``predict``/``_forward`` and the
    data preprocessor are the student's. Step (:meth:`loss`): teacher runner (``no_grad``, stops
    once every teacher tap fired) -> student ``loss()`` with its taps recording -> the plan
    (adapters -> KD targets -> losses, fp32). See ``docs/architecture.md``, :mod:`.plan`,
    :mod:`.teacher_runners`, :mod:`.refs`.

    Args:
        student (dict | str): student model config (or config file / ``mmdet3d::`` path).
        teacher (dict | str): teacher model config, a config file, or ``'mmdet3d::<cfg>.py'``.
        teacher_ckpt (str, optional): teacher weights; required unless ``allow_random_teacher``.
        teacher_ckpt_strict (bool): every key must match. Defaults to True.
        allow_random_teacher (bool): accept ``teacher_ckpt=None`` (tests). Defaults to False.
        student_taps (dict): ``name -> 'module.path' | dict(module=, index=, ...)`` (TapRecorder).
        teacher_taps (dict): the same on the teacher.
        adapters (dict): ``name -> cfg`` of student-to-teacher connectors (see :mod:`.plan`).
        kd_targets (dict): ``name -> cfg`` of parameter-free targets (see :mod:`.plan`).
        distill_losses (dict): ``name -> cfg`` of losses; names contain ``loss``.
        teacher_runner (dict, optional): how the teacher runs, e.g.
            ``dict(type='TeacherFeatureHeadRunner')`` (see :mod:`.teacher_runners`). Defaults to
            the runner of ``teacher_forward``.
        teacher_inputs (dict, optional): teacher input key -> batch input key. Defaults to the
            runner's (``dict(points='points')``).
        teacher_forward (str): legacy runner name: ``'auto'`` (default), ``'extract_feat'``,
            ``'extract_feat+head'`` or ``'tensor'``; ignored when ``teacher_runner`` is given.
        teacher_head (str): teacher head attribute; ``'auto'``: ``pts_bbox_head``/``bbox_head``.
        teacher_fp32 (bool): run the teacher with autocast off. Defaults to True.
        teacher_early_exit (bool): stop the teacher once all its taps fired. Defaults to True.
        inherit_from_teacher (list | dict, optional): student module paths (or ``student_path ->
            teacher_path``) copied from the teacher after loading and after ``init_weights()``.
        grid_check (str): ``'strict'`` | ``'range'`` | ``'off'`` (see :func:`check_grids`).
        student_loss_prefix (str): prefix of the student's own loss keys. Defaults to ''.
        distill_weight (float): global factor of every distillation loss. Defaults to 1.0.
        teacher_cache (dict, optional): ``dict(dir=..., key_meta=('sample_idx',
            'bev_aug_id'))``: keep the teacher's tap values of each training sample on disk and
            read them back instead of running the teacher (see :mod:`.teacher_cache`; the
            training pipeline must give the teacher the same input for the same key, e.g.
            ``GlobalBEVAug3D(replay=K)``). Defaults to None (the teacher runs every step).
        nonfinite (str): what a training step does when a loss or gradient is NaN/Inf:
            ``'raise'`` (stop with the iteration, the terms and their inputs' statistics),
            ``'skip'`` (warn and leave the weights untouched) or ``'off'`` (mmengine's plain
            step). Defaults to 'raise'.
        data_preprocessor (dict, optional): defaults to the student's.
        init_cfg (dict, optional): initialisation config of the wrapper.
    """

    def __init__(self,
                 student: Union[dict, str],
                 teacher: Union[dict, str],
                 teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_strict: bool = True,
                 allow_random_teacher: bool = False,
                 student_taps: Optional[dict] = None,
                 teacher_taps: Optional[dict] = None,
                 adapters: Optional[dict] = None,
                 kd_targets: Optional[dict] = None,
                 distill_losses: Optional[dict] = None,
                 teacher_runner: Optional[dict] = None,
                 teacher_inputs: Optional[dict] = None,
                 teacher_forward: str = 'auto',
                 teacher_head: str = 'auto',
                 teacher_fp32: bool = True,
                 teacher_early_exit: bool = True,
                 inherit_from_teacher: Optional[Union[Sequence[str], Dict[str, str]]] = None,
                 grid_check: str = 'strict',
                 student_loss_prefix: str = '',
                 distill_weight: float = 1.0,
                 teacher_cache: Optional[dict] = None,
                 nonfinite: str = 'raise',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        student_cfg = model_config(student, 'student')
        teacher_cfg = model_config(teacher, 'teacher')
        if data_preprocessor is None:
            data_preprocessor = copy.deepcopy(
                student_cfg.get('data_preprocessor', None) or dict(type='Det3DDataPreprocessor'))
        with mmdet3d_scope():
            if isinstance(data_preprocessor, dict):
                data_preprocessor = MODELS.build(data_preprocessor)
            super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
            self.student = MODELS.build(student_cfg)
            teacher_model = MODELS.build(teacher_cfg)
        self.teacher_ckpt = teacher_ckpt
        self._teacher = TeacherHolder(load_frozen_teacher(
            teacher_model, teacher_ckpt, teacher_ckpt_strict, allow_random_teacher))
        check_grids(self.student, self.teacher, grid_check)
        self.student_loss_prefix, self.distill_prefix = student_loss_prefix, 'distill.'
        self.distill_weight = float(distill_weight)
        if not (self.distill_weight >= 0 and math.isfinite(self.distill_weight)):
            raise DistillerConfigError(
                f'distill_weight={distill_weight!r}: the global factor of the distillation '
                f'losses must be a finite number >= 0 (0 turns KD off; a negative weight '
                f'rewards the student for moving away from the teacher). Scale single losses '
                f'with their loss_weight.')
        if nonfinite not in NONFINITE_MODES:
            raise DistillerConfigError(f'nonfinite={nonfinite!r}: use one of {NONFINITE_MODES} '
                                       f'(what a training step does when a loss is NaN/Inf)')
        self.nonfinite = nonfinite
        self.distillation_stopped = False
        self.student_recorder = TapRecorder(self.student, student_taps, 'student')
        self.teacher_recorder = TapRecorder(self.teacher, teacher_taps, 'teacher',
                                            early_exit=teacher_early_exit)
        with mmdet3d_scope():
            self.teacher_runner = build_teacher_runner(
                teacher_runner, self.teacher, self.teacher_recorder, teacher_forward,
                teacher_head, teacher_inputs, teacher_fp32)
            self.plan = DistillationPlan(self.student_recorder, self.teacher_recorder, adapters,
                                         kd_targets, distill_losses,
                                         grid=BEVGrid.from_detector(self.student))
        self.adapters, self.kd_targets, self.distill_losses = (
            self.plan.adapters, self.plan.kd_targets, self.plan.distill_losses)
        self.teacher_cache = None
        if teacher_cache is not None:
            cache_cfg = dict(teacher_cache)
            self.teacher_cache = TeacherFeatureCache(cache_cfg.pop('dir'), **cache_cfg)
            ckpt_id = (file_digest(teacher_ckpt) if teacher_ckpt and osp.isfile(teacher_ckpt)
                       else str(teacher_ckpt))
            self.teacher_cache.set_model_parts(
                checkpoint=ckpt_id, teacher=teacher_cfg, taps=teacher_taps,
                runner=teacher_runner or teacher_forward, inputs=teacher_inputs)
        self.inherit_from_teacher = inherit_from_teacher
        check_class_order(self.student, self.teacher, self.student_recorder.paths(),
                          self.teacher_recorder.paths(), inherit_from_teacher)
        inherit_weights(self.student, self.teacher, inherit_from_teacher)

    @property
    def teacher(self) -> nn.Module:
        """The frozen teacher (not a registered submodule)."""
        return self._teacher.module

    @property
    def teacher_forward(self) -> str:
        """Name of the teacher runner (``'extract_feat'``, ``'extract_feat+head'``, ...)."""
        return self.teacher_runner.name

    @property
    def _used_targets(self) -> List[str]:  # the KD targets the plan runs
        return self.plan.used_targets

    def train_step(self, data, optim_wrapper):
        """mmengine's train step (forward, parse, backward, step) with two guards.

        ``data`` must be a collated batch, and no loss or gradient may be NaN/Inf: with
        ``nonfinite='raise'`` the step raises ``FloatingPointError`` naming the iteration, the
        non-finite terms and, for KD terms, their inputs' statistics; with ``'skip'`` it warns
        and leaves the weights untouched (gradients zeroed, ``nonfinite_skipped=1`` logged);
        ``'off'`` is mmengine's plain step.
        """
        check_collated(data)
        if self.nonfinite == 'off':
            return super().train_step(data, optim_wrapper)
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        bad = [k for k, v in losses.items() if 'loss' in k and not all(
            torch.isfinite(t).all() for t in (v if isinstance(v, (list, tuple)) else [v]))]
        if not bad:
            optim_wrapper.backward(optim_wrapper.scale_loss(parsed))
            if not optim_wrapper.should_update():
                return log_vars
            params = [p for g in optim_wrapper.param_groups for p in g['params']
                      if p.grad is not None]
            # (mixed precision: the GradScaler itself skips steps with inf gradients)
            if type(optim_wrapper).__name__ == 'AmpOptimWrapper' or all(
                    torch.isfinite(p.grad).all() for p in params):
                optim_wrapper.step()
                optim_wrapper.zero_grad()
                return log_vars
            bad = ['(finite losses, non-finite gradients)']
        return self._nonfinite_step(bad, optim_wrapper, log_vars)

    def _nonfinite_step(self, bad: List[str], optim_wrapper, log_vars: dict) -> dict:
        """Raise, or skip the update, for the non-finite terms ``bad``."""
        it = MessageHub.get_current_instance().get_info('iter')
        details = [f'{k} (inputs: {self.plan.nonfinite[k[len(self.distill_prefix):]]})'
                   if k.startswith(self.distill_prefix)
                   and k[len(self.distill_prefix):] in self.plan.nonfinite else k for k in bad]
        msg = (f'non-finite loss at iteration {it}: ' + '; '.join(details) + '. The weights were '
               'not updated. Set nonfinite="skip" in the distiller config to skip such steps '
               'instead of stopping.')
        if self.nonfinite == 'raise':
            raise FloatingPointError(msg)
        print_log(msg, logger='current', level=logging.WARNING)
        optim_wrapper.zero_grad()
        log_vars = {k: v for k, v in log_vars.items() if k in ('loss',)}
        log_vars['nonfinite_skipped'] = torch.tensor(1.0)
        return log_vars

    def val_step(self, data):
        """mmengine's val step, after checking that ``data`` is a collated batch."""
        check_collated(data)
        return super().val_step(data)

    def test_step(self, data):
        """mmengine's test step, after checking that ``data`` is a collated batch."""
        check_collated(data)
        return super().test_step(data)

    def train(self, mode: bool = True) -> 'CrossModalDistiller':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self.teacher._apply(fn, *args, **kwargs)
        return self

    def _set_device(self, device: torch.device) -> None:
        super()._set_device(device)
        if hasattr(self.teacher, '_set_device'):
            self.teacher._set_device(device)

    def init_weights(self) -> None:
        """Initialise student/adapters/losses, then re-copy the inherited teacher weights."""
        super().init_weights()
        inherit_weights(self.student, self.teacher, self.inherit_from_teacher)

    def loss(self, batch_inputs_dict: dict, batch_data_samples: SampleList,
             **kwargs) -> Dict[str, Any]:
        """Student losses plus ``distill.<name>`` losses (scaled by ``distill_weight``).

        Args:
            batch_inputs_dict (dict): preprocessed inputs (``points``, ``imgs``, ``voxels``...).
            batch_data_samples (list[Det3DDataSample]): the samples with their annotations.

        Returns:
            dict: the student's losses (with ``student_loss_prefix``) and the distillation ones.
        """
        run_kd = (not self.distillation_stopped and self.distill_weight != 0
                  and len(self.distill_losses) > 0)
        t_vals = self.teacher_features(batch_inputs_dict, batch_data_samples) if run_kd else {}
        with self.student_recorder if run_kd else contextlib.nullcontext():
            student_losses = self.student.loss(batch_inputs_dict, batch_data_samples, **kwargs)
        losses = {self.student_loss_prefix + k: v for k, v in student_losses.items()}
        if not run_kd:
            return losses
        losses.update(self.plan.run(batch_inputs_dict, batch_data_samples,
                                    self.student_recorder.pop_values(), t_vals,
                                    self.distill_weight, self.distill_prefix))
        return losses

    @torch.no_grad()
    def distillation_inputs(self, batch_inputs_dict: dict,
                            batch_data_samples: SampleList) -> Dict[str, Dict[str, Any]]:
        """What the distillation losses of a batch compare (for pictures and inspection).

        Runs the teacher and the student's ``loss()`` with the taps recording, then the adapters
        and KD targets, without gradients and whatever ``distill_weight`` is.

        Returns:
            dict: ``student`` (tap values after the adapters), ``student_raw``, ``teacher``,
            ``target`` (KD target outputs), ``data``.
        """
        t_vals = self.teacher_features(batch_inputs_dict, batch_data_samples)
        with self.student_recorder:
            self.student.loss(batch_inputs_dict, batch_data_samples)
        with torch.autocast(device_type=device_type(batch_inputs_dict), enabled=False):
            return self.plan.spaces(batch_inputs_dict, batch_data_samples,
                                    self.student_recorder.pop_values(), t_vals)

    def teacher_features(self, inputs: dict, data_samples: SampleList) -> Dict[str, Any]:
        """Teacher tap values for a batch (its runner: ``no_grad``, fp32, early exit), read
        from the teacher-feature cache when it holds every sample (training only)."""
        cache = self.teacher_cache if self.training else None
        if cache is not None:
            metas = [s.metainfo for s in data_samples]
            cached = cache.load(metas)
            if cached is not None:
                device = next(iter(self.student.parameters())).device
                return cache.to_device(cached, device)
        values = self.teacher_runner(self.teacher, self.teacher_recorder, inputs, data_samples)
        if cache is not None:
            cache.save(metas, values)
        return values

    def predict(self, batch_inputs_dict: dict, batch_data_samples: SampleList,
                **kwargs) -> SampleList:
        """The student's predictions (the teacher does not run)."""
        return self.student.predict(batch_inputs_dict, batch_data_samples, **kwargs)

    def _forward(self, batch_inputs_dict: dict, batch_data_samples: Optional[SampleList] = None,
                 **kwargs):
        """The student's ``tensor`` mode."""
        return self.student._forward(batch_inputs_dict, batch_data_samples, **kwargs)

    def extract_feat(self, *args, **kwargs):
        """The student's features."""
        return self.student.extract_feat(*args, **kwargs)

    def aug_test(self, *args, **kwargs):
        """The student's test-time augmentation."""
        return self.student.aug_test(*args, **kwargs)
