# Copyright (c) distillbev contributors. All rights reserved.
"""Helpers of :mod:`.plan`: argument binding checks, dtype/device handling, the order of KD
targets and the statistics the non-finite guard reports."""
import inspect
from typing import Any, Dict, List, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from .refs import DistillerConfigError
from .taps import flatten_tensors

Binding = Dict[str, Union[str, List[str]]]


def to_fp32(value: Any) -> Any:
    """Cast floating tensors (inside dicts/lists/tuples too) to float32."""
    if isinstance(value, Tensor):
        return value.float() if value.is_floating_point() and value.dtype != torch.float32 \
            else value
    if isinstance(value, dict):
        return type(value)((k, to_fp32(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)) and not hasattr(value, '_fields'):
        return type(value)(to_fp32(v) for v in value)
    return value


def forward_signature(module: nn.Module) -> Tuple[List[str], List[str], bool]:
    """(all argument names, required argument names, accepts ``**kwargs``) of ``forward``."""
    params = list(inspect.signature(module.forward).parameters.values())
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [p.name for p in params if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return names, required, any(p.kind == p.VAR_KEYWORD for p in params)


def device_type(values: Any) -> str:
    """Device type of the first tensor in ``values`` (``'cpu'`` if none)."""
    found = next(iter(flatten_tensors(values)), None)
    return found.device.type if found is not None else 'cpu'


def as_refs(value: Union[str, Sequence[str]]) -> List[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


STUDENT_ARG_PREFIXES, TEACHER_ARG_PREFIXES = ('s_', 'student'), ('t_', 'teacher')


def check_side(owner: str, arg: str, ref: str) -> None:
    """A student argument (``s_*``, ``student*``) must not read the teacher, and a teacher
    argument (``t_*``, ``teacher*``) must not read the student: a swapped mapping would train
    the teacher's features into nothing and pull the student towards itself."""
    ns = ref.split('.')[0]
    if arg.startswith(STUDENT_ARG_PREFIXES) and ns == 'teacher':
        side, other = 'student', 'teacher'
    elif arg.startswith(TEACHER_ARG_PREFIXES) and ns in ('student', 'student_raw'):
        side, other = 'teacher', 'student'
    else:
        return
    raise DistillerConfigError(
        f'{owner}: argument {arg!r} takes the {side} tensor, but inputs maps it to {ref!r} (a '
        f'{other} reference); swap the student and teacher references in inputs=')


def loss_tensors(value: Any) -> List[Tensor]:
    """The tensors of a loss value (a tensor, or a dict of them)."""
    values = value.values() if isinstance(value, dict) else [value]
    return [v for v in values if isinstance(v, Tensor)]


def describe_inputs(kwargs: Dict[str, Any]) -> str:
    """``arg: shape, min / mean / max, non-finite count`` of every tensor input of a loss."""
    parts = []
    for arg, value in kwargs.items():
        tensors = value if isinstance(value, (list, tuple)) else [value]
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor) or not t.is_floating_point():
                continue
            name = arg if len(tensors) == 1 else f'{arg}[{i}]'
            t = t.detach().float()
            finite = t[torch.isfinite(t)]
            stats = (f'{finite.min().item():.4g} / {finite.mean().item():.4g} / '
                     f'{finite.max().item():.4g}') if finite.numel() else 'no finite value'
            parts.append(f'{name}: shape {tuple(t.shape)}, min / mean / max of the finite '
                         f'values {stats}, non-finite {t.numel() - finite.numel()}')
    return '; '.join(parts)


def dependency_order(kd_targets: Dict[str, dict]) -> List[str]:
    """Target names with each target after the targets its inputs reference, else in config order.

    Configs written back by mmengine (``Config.dump``, the copy the Runner saves in the work
    directory) sort dict keys, so a target may come before one it reads. Cycles and unknown
    names are left in place for the binding check to report.
    """
    deps = {}
    for name, cfg in kd_targets.items():
        refs = [r for ref in dict(cfg.get('inputs') or {}).values() for r in as_refs(ref)]
        deps[name] = [r.split('.')[1] for r in refs
                      if isinstance(r, str) and r.startswith('target.')
                      and r.split('.')[1] in kd_targets]
    order: List[str] = []

    def visit(name: str, path: Tuple[str, ...]) -> None:
        if name in order or name in path:
            return
        for dep in deps[name]:
            visit(dep, path + (name, ))
        order.append(name)

    for name in kd_targets:
        visit(name, ())
    return order
