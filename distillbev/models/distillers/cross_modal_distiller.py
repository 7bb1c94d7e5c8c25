# Copyright (c) distillbev contributors. All rights reserved.
"""CrossModalDistiller: a frozen LiDAR (or depth-image) teacher teaches an mmdet3d student."""
import contextlib
import copy
import inspect
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmdet3d.models.detectors import Base3DDetector, MVXTwoStageDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures.det3d_data_sample import SampleList
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from torch import Tensor, nn

from .refs import (AUTO_BIND, DATA_KEYS, DistillerConfigError, batch_data, follow_path,
                   parse_ref)
from .taps import TapRecorder, TapsComplete, resolve_module
from .teacher import check_grids, freeze, load_teacher_checkpoint, model_config


class _TeacherHolder:
    """Keeps the teacher out of the module tree (no state_dict, optimizer, DDP, train()).

    ``copy.deepcopy`` of the distiller (e.g. an EMA copy) shares the frozen teacher instead of
    duplicating it.
    """

    def __init__(self, module: nn.Module) -> None:
        self.module = module

    def __deepcopy__(self, memo: dict) -> '_TeacherHolder':
        return self


def _to_fp32(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.float() if value.is_floating_point() and value.dtype != torch.float32 \
            else value
    if isinstance(value, dict):
        return type(value)((k, _to_fp32(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)) and not hasattr(value, '_fields'):
        return type(value)(_to_fp32(v) for v in value)
    return value


def _spatial(value: Any) -> List[Tuple[int, int]]:
    if isinstance(value, Tensor):
        return [tuple(value.shape[-2:])] if value.dim() == 4 else []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _spatial(v)]
    return []


def _signature(module: nn.Module) -> Tuple[List[str], List[str], bool]:
    """(all argument names, required argument names, accepts **kwargs) of ``module.forward``."""
    params = list(inspect.signature(module.forward).parameters.values())
    names = [p.name for p in params
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [p.name for p in params if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    var_kw = any(p.kind == p.VAR_KEYWORD for p in params)
    return names, required, var_kw


@contextlib.contextmanager
def _mmdet3d_scope():
    """Build nested modules in mmdet3d's scope when no default scope is set (tests, scripts)."""
    if DefaultScope.get_current_instance() is None:
        with DefaultScope.overwrite_default_scope('mmdet3d'):
            yield
    else:
        yield


@MODELS.register_module()
class CrossModalDistiller(Base3DDetector):
    """Cross-modal knowledge distillation wrapper: a frozen teacher, a student, taps and losses.

    The student is any mmdet3d detector; it trains with its own losses plus the distillation
    losses and is what ``predict()``/``_forward()`` run (the teacher never runs at test time).
    The teacher is any mmdet3d detector built from a config and a checkpoint. It is frozen:
    ``requires_grad=False``, always in eval mode (BatchNorm statistics never move), run under
    ``torch.no_grad()``, and it is kept *outside* the module tree, so it is in neither
    ``parameters()`` (hence not in the optimizer nor in DDP), ``state_dict()`` (hence not in
    checkpoints; ``load_state_dict`` and ``--resume`` of distillation checkpoints just work),
    nor ``train()``; ``to()/cuda()/cpu()/half()`` move it with the distiller (``_apply``).

    Data: the distiller's data preprocessor is the student's (``data_preprocessor=None``), so the
    student sees exactly what it would see alone. The teacher reads the same preprocessed batch
    through ``teacher_inputs`` (default ``dict(points='points')``: the teacher's ``points`` are the
    batch's, already BEV-augmented by the pipeline together with the boxes) and, when the
    teacher's own ``data_preprocessor`` voxelizes (``voxel=True``), the distiller calls that
    preprocessor's ``voxelize`` on those points; the teacher's voxel layer therefore never has to
    be copied into the student's config. When the student's preprocessor already voxelizes with
    the teacher's exact voxel layer, ``teacher_inputs=dict(points='points', voxels='voxels')``
    reuses its voxels. A depth-image teacher maps e.g. ``teacher_inputs=dict(imgs='depth_imgs')``.

    Checkpoints hold ``student.*`` (+ ``adapters.*``, ``distill_losses.*``); initialise the student
    from a plain student checkpoint with ``student=dict(..., init_cfg=dict(type='Pretrained',
    checkpoint=...))`` (not ``load_from``, which expects distiller keys), and turn a distillation
    checkpoint into a plain student one with ``tools/export_student.py``.

    Step (``loss``): teacher forward under ``no_grad`` (``extract_feat``, plus its head when a
    teacher tap lies in the head; stops as soon as every teacher tap is recorded) -> student
    ``loss()`` with its taps recording -> adapters -> KD targets (``no_grad``) -> distillation
    losses, all in fp32 with autocast disabled. Returned keys: the student's losses (with
    ``student_loss_prefix``) and ``distill.<loss name>`` (scaled by ``distill_weight``).

    Args:
        student (dict | str): student model config (or config file / ``mmdet3d::`` path).
        teacher (dict | str): teacher model config, a config file, or ``'mmdet3d::<cfg>.py'``.
        teacher_ckpt (str, optional): teacher weights, loaded on CPU. Required unless
            ``allow_random_teacher=True`` (tests only).
        teacher_ckpt_strict (bool): every teacher key must be in the checkpoint and vice versa.
            Defaults to True. Shape mismatches and checkpoints that load no teacher parameter
            always raise.
        allow_random_teacher (bool): accept ``teacher_ckpt=None``. Defaults to False.
        student_taps (dict): ``name -> 'module.path'`` or ``name -> dict(module=, index=, call=,
            clone=, inputs=)`` on the student (see :class:`TapRecorder`).
        teacher_taps (dict): the same on the teacher.
        adapters (dict): ``name -> adapter cfg`` (registered in MODELS; learnable, saved, in the
            optimizer, dropped by ``tools/export_student.py``). ``input`` (a reference, default
            ``student_raw.<name>``) selects what it adapts; the output is ``student.<name>``,
            which replaces the tap of the same name (the raw tap stays ``student_raw.<name>``).
        kd_targets (dict): ``name -> cfg`` of parameter-free target generators (MODELS), with
            ``inputs=dict(arg='<reference>')``; computed once per step under ``no_grad``, in order
            (a target may use earlier targets); output referenced as ``target.<name>[.<key>]``.
        distill_losses (dict): ``name -> cfg`` of losses (MODELS); names must contain ``loss``.
            ``inputs=dict(arg='<reference>')`` maps forward arguments to references (see
            :mod:`.refs`), ``check_shapes`` (default True) checks at each step that the student
            and teacher 4-D tensors given to the loss have the same spatial size.
            ``gt_bboxes_3d``, ``gt_labels_3d``, ``metas``... are bound automatically when unmapped.
        teacher_inputs (dict, optional): teacher input key -> key of the preprocessed batch
            inputs. Defaults to ``dict(points='points')``.
        teacher_forward (str): ``'auto'`` (default: extract_feat, plus the head when a teacher tap
            lies in it), ``'extract_feat'``, ``'extract_feat+head'`` or ``'tensor'``
            (``teacher._forward``).
        teacher_head (str): attribute of the teacher head; ``'auto'`` picks ``pts_bbox_head`` or
            ``bbox_head``.
        teacher_fp32 (bool): run the teacher with autocast disabled. Defaults to True.
        teacher_early_exit (bool): stop the teacher forward once all teacher taps fired.
            Defaults to True.
        inherit_from_teacher (list | dict, optional): student module paths (or
            ``student_path -> teacher_path``) whose weights are copied from the teacher after
            loading and after ``init_weights()`` (e.g. ``['pts_bbox_head.task_heads']``).
        grid_check (str): ``'strict'`` | ``'range'`` | ``'off'``: build-time comparison of the
            head BEV grids of teacher and student (see :func:`check_grids`).
        student_loss_prefix (str): prefix of the student's own loss keys. Defaults to ''.
        distill_weight (float): global factor of every distillation loss (a hook may schedule
            it). Defaults to 1.0.
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
                 teacher_inputs: Optional[dict] = None,
                 teacher_forward: str = 'auto',
                 teacher_head: str = 'auto',
                 teacher_fp32: bool = True,
                 teacher_early_exit: bool = True,
                 inherit_from_teacher: Optional[Union[Sequence[str], Dict[str, str]]] = None,
                 grid_check: str = 'strict',
                 student_loss_prefix: str = '',
                 distill_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        student_cfg = model_config(student, 'student')
        teacher_cfg = model_config(teacher, 'teacher')
        if data_preprocessor is None:
            data_preprocessor = copy.deepcopy(
                student_cfg.get('data_preprocessor', None) or dict(type='Det3DDataPreprocessor'))
        with _mmdet3d_scope():
            if isinstance(data_preprocessor, dict):
                data_preprocessor = MODELS.build(data_preprocessor)
            super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
            self.student = MODELS.build(student_cfg)
            teacher_model = MODELS.build(teacher_cfg)
        if teacher_forward not in ('auto', 'extract_feat', 'extract_feat+head', 'tensor'):
            raise DistillerConfigError(
                f"teacher_forward must be 'auto', 'extract_feat', 'extract_feat+head' or "
                f"'tensor', got {teacher_forward!r}")
        if grid_check not in ('strict', 'range', 'off'):
            raise DistillerConfigError(f"grid_check must be 'strict', 'range' or 'off', got "
                                       f'{grid_check!r}')

        # Teacher: load, freeze, keep out of the module tree.
        if teacher_ckpt is None:
            if not allow_random_teacher:
                raise DistillerConfigError(
                    'teacher_ckpt is required: set it to the trained teacher weights (.pth file or '
                    'URL). A randomly initialised teacher teaches nothing; teacher_ckpt=None is '
                    'accepted only with allow_random_teacher=True (tests).')
            print_log('CrossModalDistiller: no teacher_ckpt, the teacher keeps PyTorch\'s default '
                      'random initialisation (allow_random_teacher=True)', logger='current',
                      level=30)
        else:
            load_teacher_checkpoint(teacher_model, teacher_ckpt, strict=teacher_ckpt_strict)
        self.teacher_ckpt = teacher_ckpt
        self._teacher = _TeacherHolder(freeze(teacher_model))

        self.teacher_inputs = dict(teacher_inputs or dict(points='points'))
        self.teacher_fp32 = teacher_fp32
        self.student_loss_prefix = student_loss_prefix
        self.distill_prefix = 'distill.'
        self.distill_weight = float(distill_weight)
        self.distillation_stopped = False
        check_grids(self.student, self.teacher, grid_check)

        # Taps.
        self.student_recorder = TapRecorder(self.student, student_taps, 'student')
        self.teacher_recorder = TapRecorder(self.teacher, teacher_taps, 'teacher',
                                            early_exit=teacher_early_exit)
        if teacher_head == 'auto':
            teacher_head = 'pts_bbox_head' if getattr(self.teacher, 'pts_bbox_head', None) \
                is not None else 'bbox_head'
        self.teacher_head = teacher_head
        if teacher_forward == 'auto':
            in_head = any(p == teacher_head or p.startswith(teacher_head + '.')
                          for p in self.teacher_recorder.paths().values())
            teacher_forward = 'extract_feat+head' if in_head else 'extract_feat'
        if teacher_forward == 'extract_feat+head' and \
                getattr(self.teacher, teacher_head, None) is None:
            raise DistillerConfigError(f'the teacher has no head {teacher_head!r}; set '
                                       f'teacher_head to its head attribute')
        self.teacher_forward = teacher_forward

        # Adapters, KD targets, losses (validated against the known names).
        self._adapter_inputs: Dict[str, str] = {}
        self.adapters = nn.ModuleDict()
        student_names = set(self.student_recorder.taps)
        with _mmdet3d_scope():
            for name, cfg in (adapters or {}).items():
                cfg = dict(copy.deepcopy(cfg))
                ref = cfg.pop('input', None)
                if ref is None:
                    if name not in self.student_recorder.taps:
                        raise DistillerConfigError(
                            f'adapter {name!r} names no student tap '
                            f'({sorted(self.student_recorder.taps)}); give input="<reference>"')
                    ref = f'student_raw.{name}'
                self._check_ref(ref, f'adapter {name!r}', 'input', student_names, set())
                self._adapter_inputs[name] = ref
                self.adapters[name] = MODELS.build(cfg)
                student_names.add(name)
            self._student_names = student_names

            self.kd_targets = nn.ModuleDict()
            self._target_inputs: Dict[str, Dict[str, str]] = {}
            for name, cfg in (kd_targets or {}).items():
                cfg = dict(copy.deepcopy(cfg))
                mapping = dict(cfg.pop('inputs', None) or {})
                module = MODELS.build(cfg)
                self._target_inputs[name] = self._bind(
                    module, mapping, f'KD target {name!r}', set(self.kd_targets))
                self.kd_targets[name] = module

            self.distill_losses = nn.ModuleDict()
            self._loss_inputs: Dict[str, Dict[str, str]] = {}
            self._loss_check_shapes: Dict[str, bool] = {}
            for name, cfg in (distill_losses or {}).items():
                if 'loss' not in name:
                    raise DistillerConfigError(
                        f'distill loss name {name!r} must contain "loss" (mmengine only sums '
                        f'log entries whose key contains "loss"), e.g. "loss_{name}"')
                cfg = dict(copy.deepcopy(cfg))
                mapping = dict(cfg.pop('inputs', None) or {})
                self._loss_check_shapes[name] = bool(cfg.pop('check_shapes', True))
                module = MODELS.build(cfg)
                self._loss_inputs[name] = self._bind(
                    module, mapping, f'distill loss {name!r}', set(self.kd_targets))
                self.distill_losses[name] = module
        self._used_targets = self._needed_targets()
        self._used_adapters = self._needed_adapters()
        unused = [f'adapter {n!r}' for n in self.adapters if n not in self._used_adapters]
        unused += [f'KD target {n!r}' for n in self.kd_targets if n not in self._used_targets]
        if unused:
            print_log(f'CrossModalDistiller: {", ".join(unused)} feed(s) no distillation loss '
                      f'and will not be computed', logger='current', level=30)

        self.inherit_from_teacher = inherit_from_teacher
        self._inherit()

    # ------------------------------------------------------------------ teacher plumbing
    @property
    def teacher(self) -> nn.Module:
        """The frozen teacher (not a registered submodule)."""
        return self._teacher.module

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
        self._inherit()

    def _inherit(self) -> None:
        pairs = self.inherit_from_teacher or []
        if not isinstance(pairs, dict):
            pairs = {p: p for p in pairs}
        for s_path, t_path in pairs.items():
            s_mod = resolve_module(self.student, s_path, 'student')
            t_mod = resolve_module(self.teacher, t_path, 'teacher')
            s_sd, t_sd = s_mod.state_dict(), t_mod.state_dict()
            bad = [f'{k}: student {tuple(v.shape)} vs teacher '
                   f'{tuple(t_sd[k].shape) if k in t_sd else "missing"}'
                   for k, v in s_sd.items() if k not in t_sd or t_sd[k].shape != v.shape]
            extra = [k for k in t_sd if k not in s_sd]
            if bad or extra:
                raise DistillerConfigError(
                    f'inherit_from_teacher {s_path!r} <- {t_path!r}: the modules differ '
                    f'({bad[:6]}{", teacher-only: " + str(extra[:6]) if extra else ""}); the '
                    f'student module must have the teacher module\'s architecture (same tasks, '
                    f'channels)')
            with torch.no_grad():
                s_mod.load_state_dict(t_sd, strict=True)

    # ------------------------------------------------------------------ config validation
    def _check_ref(self, ref: str, owner: str, arg: str, student_names: set,
                   targets: set) -> None:
        try:
            ns, name, _ = parse_ref(ref)
        except DistillerConfigError as e:
            raise DistillerConfigError(f'{owner}, argument {arg!r}: {e}') from None
        available = {
            'student': student_names,
            'student_raw': set(self.student_recorder.taps),
            'teacher': set(self.teacher_recorder.taps),
            'target': targets,
            'data': set(DATA_KEYS),
        }[ns]
        if name not in available:
            raise DistillerConfigError(
                f'{owner}, argument {arg!r}: reference {ref!r} names no {ns} entry; available '
                f'{ns} names: {sorted(available)}. All references: '
                f'{self._available_refs(student_names, targets)}. Add a tap/target named '
                f'{name!r} or fix the reference.')

    def _available_refs(self, student_names: set, targets: set) -> List[str]:
        return ([f'student.{n}' for n in sorted(student_names)]
                + [f'teacher.{n}' for n in sorted(self.teacher_recorder.taps)]
                + [f'target.{n}' for n in sorted(targets)]
                + [f'data.{k}' for k in DATA_KEYS])

    def _bind(self, module: nn.Module, mapping: Dict[str, str], owner: str,
              targets: set) -> Dict[str, str]:
        names, required, var_kw = _signature(module)
        for arg, ref in mapping.items():
            if arg not in names and not var_kw:
                raise DistillerConfigError(
                    f'{owner}: inputs maps {arg!r}, but {type(module).__name__}.forward takes '
                    f'{names}')
            self._check_ref(ref, owner, arg, self._student_names, targets)
        bound = dict(mapping)
        for arg in names:
            if arg not in bound and arg in AUTO_BIND:
                bound[arg] = AUTO_BIND[arg]
        missing = [a for a in required if a not in bound]
        if missing:
            raise DistillerConfigError(
                f'{owner}: {type(module).__name__}.forward needs {missing}, which inputs= does '
                f'not provide; map each to a reference, e.g. inputs=dict({missing[0]}='
                f'"teacher.<tap>"). Available: '
                f'{self._available_refs(self._student_names, targets)}')
        return bound

    def _needed_targets(self) -> List[str]:
        needed = set()
        stack = [ref for m in self._loss_inputs.values() for ref in m.values()]
        while stack:
            ns, name, _ = parse_ref(stack.pop())
            if ns == 'target' and name not in needed:
                needed.add(name)
                stack.extend(self._target_inputs[name].values())
        return [n for n in self.kd_targets if n in needed]

    def _needed_adapters(self) -> List[str]:
        refs = [ref for m in self._loss_inputs.values() for ref in m.values()]
        refs += [ref for n in self._used_targets for ref in self._target_inputs[n].values()]
        needed = set()
        while refs:
            ns, name, _ = parse_ref(refs.pop())
            if ns == 'student' and name in self._adapter_inputs and name not in needed:
                needed.add(name)
                refs.append(self._adapter_inputs[name])
        return [n for n in self.adapters if n in needed]

    # ------------------------------------------------------------------ forward paths
    def _teacher_features(self, inputs: dict, data_samples: SampleList) -> Dict[str, Any]:
        teacher = self.teacher
        teacher.eval()
        t_inputs = {}
        for key, src in self.teacher_inputs.items():
            if src not in inputs:
                raise KeyError(f'teacher_inputs maps {key!r} to batch input {src!r}, but the batch '
                               f'has {sorted(inputs)}; check the pipeline (Pack3DDetInputs keys)')
            t_inputs[key] = inputs[src]
        metas = [s.metainfo for s in data_samples]
        device = next(iter(self.student.parameters())).device
        amp = torch.autocast(device_type=device.type, enabled=False) if self.teacher_fp32 \
            else contextlib.nullcontext()
        with torch.no_grad(), amp, self.teacher_recorder:
            t_pre = getattr(teacher, 'data_preprocessor', None)
            if getattr(t_pre, 'voxel', False) and 'voxels' not in t_inputs \
                    and 'points' in t_inputs:
                t_inputs['voxels'] = t_pre.voxelize(t_inputs['points'], data_samples)
            try:
                if self.teacher_forward == 'tensor':
                    teacher._forward(t_inputs, data_samples)
                else:
                    n_args = len(inspect.signature(teacher.extract_feat).parameters)
                    feats = teacher.extract_feat(t_inputs, metas) if n_args >= 2 \
                        else teacher.extract_feat(t_inputs)
                    if self.teacher_forward == 'extract_feat+head':
                        if isinstance(teacher, MVXTwoStageDetector):
                            feats = feats[1] if self.teacher_head.startswith('pts') else feats[0]
                        getattr(teacher, self.teacher_head)(feats)
            except TapsComplete:
                pass
        values = self.teacher_recorder.values()
        self.teacher_recorder.clear()
        return values

    def loss(self, batch_inputs_dict: dict, batch_data_samples: SampleList,
             **kwargs) -> Dict[str, Any]:
        """Student losses plus distillation losses.

        Args:
            batch_inputs_dict (dict): preprocessed inputs (``points``, ``imgs``, ``voxels``...).
            batch_data_samples (list[Det3DDataSample]): the samples with their annotations.

        Returns:
            dict: the student's losses and ``distill.<name>`` scalars.
        """
        run_kd = (not self.distillation_stopped and self.distill_weight != 0
                  and len(self.distill_losses) > 0)
        teacher_vals = self._teacher_features(batch_inputs_dict, batch_data_samples) \
            if run_kd else {}
        recorder = self.student_recorder if run_kd else contextlib.nullcontext()
        with recorder:
            student_losses = self.student.loss(batch_inputs_dict, batch_data_samples, **kwargs)
        losses = {self.student_loss_prefix + k: v for k, v in student_losses.items()}
        if not run_kd:
            return losses
        student_raw = self.student_recorder.values()
        self.student_recorder.clear()
        device = next(iter(self.student.parameters())).device
        with torch.autocast(device_type=device.type, enabled=False):
            losses.update(self._distill(batch_inputs_dict, batch_data_samples, student_raw,
                                        teacher_vals))
        return losses

    def _distill(self, inputs: dict, data_samples: SampleList, student_raw: Dict[str, Any],
                 teacher_vals: Dict[str, Any]) -> Dict[str, Tensor]:
        spaces: Dict[str, Dict[str, Any]] = dict(
            student_raw=student_raw, student=dict(student_raw), teacher=teacher_vals,
            target={}, data=batch_data(inputs, data_samples))

        def get(ref: str) -> Any:
            ns, name, path = parse_ref(ref)
            return follow_path(spaces[ns][name], path, ref)

        for name in self._used_adapters:
            spaces['student'][name] = self.adapters[name](_to_fp32(get(self._adapter_inputs[name])))
        with torch.no_grad():
            for name in self._used_targets:
                kwargs = {a: _to_fp32(get(r)) for a, r in self._target_inputs[name].items()}
                spaces['target'][name] = self.kd_targets[name](**kwargs)
        out = {}
        for name, module in self.distill_losses.items():
            mapping = self._loss_inputs[name]
            kwargs = {a: _to_fp32(get(r)) for a, r in mapping.items()}
            if self._loss_check_shapes[name]:
                self._check_shapes(name, mapping, kwargs)
            value = module(**kwargs)
            if isinstance(value, dict):
                for k, v in value.items():
                    out[f'{self.distill_prefix}{name}.{k}'] = \
                        v * self.distill_weight if 'loss' in k else v
            else:
                out[self.distill_prefix + name] = value * self.distill_weight
        return out

    @staticmethod
    def _check_shapes(name: str, mapping: Dict[str, str], kwargs: Dict[str, Any]) -> None:
        sides: Dict[str, List[Tuple[str, Tuple[int, int]]]] = dict(student=[], teacher=[])
        for arg, ref in mapping.items():
            side = ref.split('.')[0].replace('student_raw', 'student')
            if side in sides:
                sides[side] += [(ref, s) for s in _spatial(kwargs[arg])]
        s_set = {s for _, s in sides['student']}
        t_set = {s for _, s in sides['teacher']}
        if s_set and t_set and s_set != t_set:
            t_ref, t_hw = sides['teacher'][0]
            s_ref, s_hw = next(((r, s) for r, s in sides['student'] if s not in t_set),
                               sides['student'][0])
            if s_hw in t_set:
                t_ref, t_hw = next((r, s) for r, s in sides['teacher'] if s not in s_set)
            raise DistillerConfigError(
                f'distill loss {name!r}: teacher BEV {t_hw[0]}x{t_hw[1]} ({t_ref}) vs student '
                f'{s_hw[0]}x{s_hw[1]} ({s_ref}): grids do not align; set point_cloud_range/'
                f'voxel_size/out_size_factor so that both maps have the same cells, tap levels '
                f'of equal stride, add an adapter that resamples the student (e.g. '
                f'UpsampleMLPAdapter with scale_factor), or set check_shapes=False in this loss '
                f'if it resamples by itself')

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
