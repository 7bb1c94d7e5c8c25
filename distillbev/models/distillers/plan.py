# Copyright (c) distillbev contributors. All rights reserved.
"""The distillation plan: built once from the config, run once per training step.

Build time (:class:`DistillationPlan` constructor):

1. build the adapters, KD targets and losses (registered in ``MODELS``); a KD target or loss whose
   constructor takes ``grid`` and whose config gives none receives the BEV grid derived from the
   student's head (:meth:`distillbev.structures.BEVGrid.from_detector`), so configs state the
   grid once, in the student;
2. bind every forward argument to a reference (:mod:`.refs`): the ``inputs=`` mapping, then the
   batch data bound automatically by argument name (``gt_bboxes_3d``, ``metas``, ...); a mapping
   value may be a list of references (the forward argument gets the list of their values, e.g.
   ``shape=['teacher.stage1.hw', 'teacher.neck.hw']``: per-level shapes follow from the taps);
3. validate: every reference names an existing tap, adapter, earlier KD target or batch key, every
   required argument is bound, loss names contain ``loss``;
4. prune: only the adapters and KD targets some loss depends on are kept (the others are logged
   and removed: a parameter that never receives a gradient would stop DDP).

Step (:meth:`DistillationPlan.run`): adapters -> KD targets (``no_grad``) -> losses, all inputs in
fp32, each loss's student/teacher maps checked for equal spatial size (``check_shapes``).
"""
import copy
import inspect
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
from mmdet3d.registry import MODELS
from mmengine.logging import print_log
from torch import Tensor, nn

from ...structures.bev_grid import BEVGrid, build_bev_grid
from .plan_utils import (Binding, as_refs, check_side, dependency_order, describe_inputs,
                         device_type, forward_signature, loss_tensors, to_fp32)
from .refs import AUTO_BIND, DATA_KEYS, DistillerConfigError, batch_data, follow_path, parse_ref
from .shape_check import check_shapes
from .taps import TapRecorder


class DistillationPlan:
    """Adapters, KD targets and losses, their bindings and their execution order.

    Args:
        student_taps (TapRecorder): the student's taps.
        teacher_taps (TapRecorder): the teacher's taps.
        adapters (dict, optional): ``name -> cfg`` (``input``: a reference, default
            ``student_raw.<name>``); the output replaces ``student.<name>``.
        kd_targets (dict, optional): ``name -> cfg`` with ``inputs=dict(arg=<reference(s)>)``.
        distill_losses (dict, optional): ``name -> cfg`` with ``inputs=`` and ``check_shapes``.
        grid (BEVGrid, optional): the student's head grid, given to targets/losses that take
            ``grid`` and do not set one.
    """

    def __init__(self, student_taps: TapRecorder, teacher_taps: TapRecorder,
                 adapters: Optional[dict] = None, kd_targets: Optional[dict] = None,
                 distill_losses: Optional[dict] = None, grid: Optional[BEVGrid] = None) -> None:
        self.student_taps, self.teacher_taps, self.grid = student_taps, teacher_taps, grid
        self.adapters, self.kd_targets = nn.ModuleDict(), nn.ModuleDict()
        # loss name -> its inputs' statistics, for the losses of the last batch that were not
        # finite (read by the distiller's non-finite guard)
        self.nonfinite: Dict[str, str] = {}
        self.distill_losses = nn.ModuleDict()
        self.adapter_inputs: Dict[str, str] = {}
        self.target_inputs: Dict[str, Binding] = {}
        self.loss_inputs: Dict[str, Binding] = {}
        self.loss_check_shapes: Dict[str, bool] = {}
        self.student_names: Set[str] = set(student_taps.taps)
        for name, cfg in (adapters or {}).items():
            cfg = dict(copy.deepcopy(cfg))
            ref = cfg.pop('input', None)
            if ref is None:
                if name not in student_taps.taps:
                    raise DistillerConfigError(
                        f'adapter {name!r} names no student tap '
                        f'({sorted(student_taps.taps)}); give input="<reference>"')
                ref = f'student_raw.{name}'
            self._check_ref(ref, f'adapter {name!r}', 'input', set())
            self.adapter_inputs[name] = ref
            self.adapters[name] = MODELS.build(cfg)
            self.student_names.add(name)
        kd_targets = kd_targets or {}
        for name in dependency_order(kd_targets):
            cfg = kd_targets[name]
            module, mapping = self._build(cfg, f'KD target {name!r}')
            self.target_inputs[name] = self._bind(module, mapping, f'KD target {name!r}',
                                                  set(self.kd_targets))
            self.kd_targets[name] = module
        for name, cfg in (distill_losses or {}).items():
            if 'loss' not in name:
                raise DistillerConfigError(
                    f'distill loss name {name!r} must contain "loss" (mmengine only sums '
                    f'log entries whose key contains "loss"), e.g. "loss_{name}"')
            cfg = dict(copy.deepcopy(cfg))
            self.loss_check_shapes[name] = bool(cfg.pop('check_shapes', True))
            module, mapping = self._build(cfg, f'distill loss {name!r}')
            self.loss_inputs[name] = self._bind(module, mapping, f'distill loss {name!r}',
                                                set(self.kd_targets))
            self.distill_losses[name] = module
        self.used_targets = self._needed_targets()
        self.used_adapters = self._needed_adapters()
        unused = [f'adapter {n!r}' for n in self.adapters if n not in self.used_adapters]
        unused += [f'KD target {n!r}' for n in self.kd_targets if n not in self.used_targets]
        if unused:
            print_log(f'CrossModalDistiller: {", ".join(unused)} feed(s) no distillation loss '
                      f'and will not be built (parameters that never receive a gradient '
                      f'would stop DDP)', logger='current', level=30)
        for name in [n for n in self.adapters if n not in self.used_adapters]:
            del self.adapters[name]
        for name in [n for n in self.kd_targets if n not in self.used_targets]:
            del self.kd_targets[name]

    # ------------------------------------------------------------------ building
    def _build(self, cfg: dict, owner: str) -> Tuple[nn.Module, Binding]:
        """Build one KD target / loss; hand it the student's grid if it takes one."""
        cfg = dict(copy.deepcopy(cfg))
        mapping = dict(cfg.pop('inputs', None) or {})
        cls = cfg.get('type')
        cls = MODELS.get(cls) if isinstance(cls, str) else cls
        if inspect.isclass(cls) and 'grid' in inspect.signature(cls).parameters \
                and cfg.get('grid') is None:
            if self.grid is None:
                raise DistillerConfigError(
                    f'{owner} ({cls.__name__}) needs a BEV grid, and the student\'s head states '
                    f'none (train_cfg point_cloud_range / voxel_size / out_size_factor, or '
                    f'bbox_coder); give the student head these, or set grid=dict('
                    f'point_cloud_range=[...], cell_size=...) in this config')
            cfg['grid'] = self.grid
        elif cfg.get('grid') is not None and self.grid is not None:
            grid, own = build_bev_grid(cfg['grid']), self.grid
            bounds = [(grid.x_min, own.x_min), (grid.y_min, own.y_min),
                      (grid.x_max, own.x_max), (grid.y_max, own.y_max)]
            if any(abs(a - b) > 1e-4 for a, b in bounds):  # another resolution is allowed
                raise DistillerConfigError(
                    f'{owner}: its grid {grid} covers another area than the student head\'s '
                    f'{own}, so its masks would not fall on the features\' cells. Remove grid= '
                    f'from this config (the student\'s grid is passed in) or give it the '
                    f'student\'s point_cloud_range.')
        return MODELS.build(cfg), mapping

    def _check_ref(self, ref: str, owner: str, arg: str, targets: set) -> None:
        try:
            ns, name, _ = parse_ref(ref)
        except DistillerConfigError as e:
            raise DistillerConfigError(f'{owner}, argument {arg!r}: {e}') from None
        available = {
            'student': self.student_names,
            'student_raw': set(self.student_taps.taps),
            'teacher': set(self.teacher_taps.taps),
            'target': targets,
            'data': set(DATA_KEYS),
        }[ns]
        if name not in available:
            raise DistillerConfigError(
                f'{owner}, argument {arg!r}: reference {ref!r} names no {ns} entry; available '
                f'{ns} names: {sorted(available)}. All references: '
                f'{self.available_refs(targets)}. Add a tap/target named '
                f'{name!r} or fix the reference.')

    def available_refs(self, targets: set) -> List[str]:
        """Every reference a KD target / loss may use (for error messages)."""
        return ([f'student.{n}' for n in sorted(self.student_names)]
                + [f'teacher.{n}' for n in sorted(self.teacher_taps.taps)]
                + [f'target.{n}' for n in sorted(targets)]
                + [f'data.{k}' for k in DATA_KEYS])

    def _bind(self, module: nn.Module, mapping: Binding, owner: str, targets: set) -> Binding:
        names, required, var_kw = forward_signature(module)
        for arg, ref in mapping.items():
            if arg not in names and not var_kw:
                raise DistillerConfigError(
                    f'{owner}: inputs maps {arg!r}, but {type(module).__name__}.forward takes '
                    f'{names}')
            for one in as_refs(ref):
                self._check_ref(one, owner, arg, targets)
                check_side(owner, arg, one)
        bound = dict(mapping)
        for arg in names:
            if arg not in bound and arg in AUTO_BIND:
                bound[arg] = AUTO_BIND[arg]
        missing = [a for a in required if a not in bound]
        if missing:
            raise DistillerConfigError(
                f'{owner}: {type(module).__name__}.forward needs {missing}, which inputs= does '
                f'not provide; map each to a reference, e.g. inputs=dict({missing[0]}='
                f'"teacher.<tap>"). Available: {self.available_refs(targets)}')
        return bound

    def _dependencies(self, bindings: Sequence[Binding]) -> List[str]:
        return [r for m in bindings for ref in m.values() for r in as_refs(ref)]

    def _needed_targets(self) -> List[str]:
        needed: Set[str] = set()
        stack = self._dependencies(list(self.loss_inputs.values()))
        while stack:
            ns, name, _ = parse_ref(stack.pop())
            if ns == 'target' and name not in needed:
                needed.add(name)
                stack.extend(self._dependencies([self.target_inputs[name]]))
        return [n for n in self.kd_targets if n in needed]

    def _needed_adapters(self) -> List[str]:
        refs = self._dependencies(list(self.loss_inputs.values())
                                  + [self.target_inputs[n] for n in self.used_targets])
        needed: Set[str] = set()
        while refs:
            ns, name, _ = parse_ref(refs.pop())
            if ns == 'student' and name in self.adapter_inputs and name not in needed:
                needed.add(name)
                refs.append(self.adapter_inputs[name])
        return [n for n in self.adapters if n in needed]

    # ------------------------------------------------------------------ one step
    def run(self, inputs: dict, data_samples: Sequence, student_raw: Dict[str, Any],
            teacher_vals: Dict[str, Any], weight: float = 1.0,
            prefix: str = 'distill.') -> Dict[str, Tensor]:
        """Adapters -> KD targets -> losses for one batch, autocast off (inputs cast to fp32).

        Args:
            inputs (dict): the preprocessed batch inputs.
            data_samples (list[Det3DDataSample]): the batch samples.
            student_raw (dict): student tap values.
            teacher_vals (dict): teacher tap values.
            weight (float): global factor of every loss value.
            prefix (str): prefix of the returned keys.

        Returns:
            dict: ``<prefix><loss name>`` (or ``<prefix><loss name>.<key>`` for dict-valued
            losses; only keys containing ``loss`` are scaled by ``weight``).
        """
        with torch.autocast(device_type=device_type(student_raw), enabled=False):
            return self._run(inputs, data_samples, student_raw, teacher_vals, weight, prefix)

    def spaces(self, inputs: dict, data_samples: Sequence, student_raw: Dict[str, Any],
               teacher_vals: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
        """The namespaces of one batch: adapters and KD targets computed (the losses' inputs).

        Returns:
            dict: ``student_raw``, ``student`` (adapted), ``teacher``, ``target``, ``data``.
        """
        spaces: Dict[str, Dict[str, Any]] = dict(
            student_raw=student_raw, student=dict(student_raw), teacher=teacher_vals,
            target={}, data=batch_data(inputs, data_samples))
        get = self._getter(spaces)
        for name in self.used_adapters:
            spaces['student'][name] = self.adapters[name](get(self.adapter_inputs[name]))
        with torch.no_grad():
            for name in self.used_targets:
                kwargs = {a: get(r) for a, r in self.target_inputs[name].items()}
                spaces['target'][name] = self.kd_targets[name](**kwargs)
        return spaces

    @staticmethod
    def _getter(spaces: Dict[str, Dict[str, Any]]):
        def get(ref: Union[str, List[str]]) -> Any:
            if isinstance(ref, (list, tuple)):
                return [get(r) for r in ref]
            ns, name, path = parse_ref(ref)
            return to_fp32(follow_path(spaces[ns][name], path, ref))
        return get

    def _run(self, inputs: dict, data_samples: Sequence, student_raw: Dict[str, Any],
             teacher_vals: Dict[str, Any], weight: float, prefix: str) -> Dict[str, Tensor]:
        self.nonfinite: Dict[str, str] = {}
        get = self._getter(self.spaces(inputs, data_samples, student_raw, teacher_vals))
        out = {}
        for name, module in self.distill_losses.items():
            mapping = self.loss_inputs[name]
            kwargs = {a: get(r) for a, r in mapping.items()}
            if self.loss_check_shapes[name]:
                check_shapes(name, mapping, kwargs, list(self.adapters),
                             getattr(module, 'channelwise', True))
            value = module(**kwargs)
            if not all(torch.isfinite(v).all() for v in loss_tensors(value)):
                self.nonfinite[name] = describe_inputs(kwargs)
            if isinstance(value, dict):
                for k, v in value.items():
                    out[f'{prefix}{name}.{k}'] = v * weight if 'loss' in k else v
            else:
                out[prefix + name] = value * weight
        return out
