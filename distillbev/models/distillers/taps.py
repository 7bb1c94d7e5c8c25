# Copyright (c) distillbev contributors. All rights reserved.
"""Feature taps: named forward hooks on module paths that record outputs while a step runs."""
import difflib
from typing import Any, Dict, List, Optional, Union

from torch import Tensor, nn

from .refs import DistillerConfigError


class TapsComplete(Exception):
    """Raised from a hook to stop a (teacher) forward once every requested tap is recorded."""


def _snapshot(value: Any, clone_dict_tensors: bool, in_dict: bool = False) -> Any:
    """Copy containers (dict/list/tuple) so later in-place container edits do not leak in.

    Tensors inside dicts are cloned when ``clone_dict_tensors``: mmdet3d heads return lists of
    prediction dicts, and ``CenterHead.loss_by_feat`` replaces ``preds_dict[0]['heatmap']`` by
    ``clip_sigmoid`` of it, which calls ``sigmoid_()`` on the very tensor the head returned.
    Cloning keeps the logits (and the gradient path) for the distillation losses.
    """
    if isinstance(value, Tensor):
        return value.clone() if (in_dict and clone_dict_tensors) else value
    if isinstance(value, dict):
        return type(value)(
            (k, _snapshot(v, clone_dict_tensors, True)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, '_fields'):  # namedtuple
        return type(value)(*(_snapshot(v, clone_dict_tensors, in_dict) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v, clone_dict_tensors, in_dict) for v in value)
    return value


def flatten_tensors(value: Any) -> List[Tensor]:
    """Every tensor in a (nested) dict/list/tuple value, in traversal order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flatten_tensors(v)]
    return []


def resolve_module(root: nn.Module, path: str, owner: str) -> nn.Module:
    """Return ``root.get_submodule(path)`` or raise a build error listing close valid names.

    Args:
        root (nn.Module): the student or teacher model.
        path (str): dotted module path, e.g. ``'pts_backbone.blocks.1'``.
        owner (str): ``'student'`` or ``'teacher'`` (for the message).
    """
    try:
        return root.get_submodule(path)
    except AttributeError:
        names = [n for n, _ in root.named_modules() if n]
        close = difflib.get_close_matches(path, names, n=5, cutoff=0.5)
        top = [n for n, _ in root.named_children()]
        raise DistillerConfigError(
            f'{owner} tap path {path!r} names no module of the {owner} '
            f'({type(root).__name__}). Close names: {close or "none"}; top-level modules: '
            f'{top}. Fix the module path in {owner}_taps (dotted, as in named_modules()).'
        ) from None


class FeatureTap:
    """One named tap: a forward hook recording the output of a module.

    Args:
        name (str): the tap name (``student.<name>`` / ``teacher.<name>`` in references).
        module (nn.Module): the hooked module.
        path (str): its dotted path (for messages).
        index (int | str, optional): select an element of the output (tuple/list index or dict
            key), e.g. ``index=0`` for the single level of a SECONDFPN neck.
        call (int): which call of the module within one forward to keep. Defaults to 0 (first).
        clone (bool | str): ``'auto'`` (default) clones tensors inside dict outputs (head
            predictions, see :func:`_snapshot`); True clones every tensor; False none.
        inputs (bool): record the module input (first positional argument) instead of its
            output. Defaults to False.
    """

    def __init__(self, name: str, module: nn.Module, path: str,
                 index: Optional[Union[int, str]] = None, call: int = 0,
                 clone: Union[bool, str] = 'auto', inputs: bool = False) -> None:
        if clone not in (True, False, 'auto'):
            raise DistillerConfigError(f'tap {name!r}: clone must be True, False or "auto"')
        self.name, self.path, self.index, self.call = name, path, index, int(call)
        self.clone, self.inputs = clone, inputs
        self.records: List[Any] = []
        self.versions: List[List[int]] = []
        self.recording = False
        self.on_record = None  # callback(tap) set by the recorder (early exit)
        self.handle = module.register_forward_hook(self._hook)

    def _hook(self, module: nn.Module, args: tuple, output: Any) -> None:
        if not self.recording or len(self.records) > self.call:
            return
        value = args[0] if self.inputs else output
        if self.clone is True:
            value = _snapshot(value, True, True)
        else:
            value = _snapshot(value, self.clone == 'auto')
        self.records.append(value)
        if len(self.records) == self.call + 1:
            self.versions = [t._version for t in flatten_tensors(value)]
            if self.on_record is not None:
                self.on_record(self)

    @property
    def done(self) -> bool:
        return len(self.records) > self.call

    def value(self) -> Any:
        """The recorded value (after ``index``); raises if the module did not run."""
        if not self.done:
            raise RuntimeError(
                f'tap {self.name!r} ({self.path}) recorded {len(self.records)} call(s) of its '
                f'module in this step, but call {self.call} was requested: the module did not '
                f'run in this forward (is it used by this model? does a head tap need '
                f'teacher_runner=dict(type="TeacherFeatureHeadRunner")?)')
        value = self.records[self.call]
        now = [t._version for t in flatten_tensors(value)]
        if now != self.versions:
            raise RuntimeError(
                f'a tensor recorded by tap {self.name!r} ({self.path}) was modified in place '
                f'after it was recorded (e.g. by the model\'s loss); set clone=True in this tap')
        if self.index is not None:
            try:
                value = value[self.index]
            except (IndexError, KeyError, TypeError):
                raise RuntimeError(
                    f'tap {self.name!r} ({self.path}): cannot take index {self.index!r} of a '
                    f'{type(value).__name__} output') from None
        return value

    def reset(self) -> None:
        self.records, self.versions = [], []

    def remove(self) -> None:
        self.handle.remove()


class TapRecorder:
    """The taps of one model; a context manager that records while entered.

    Args:
        root (nn.Module): the model.
        taps (dict): ``name -> 'module.path'`` or ``name -> dict(module=..., index=..., call=...,
            clone=..., inputs=...)``.
        owner (str): ``'student'`` or ``'teacher'``.
        early_exit (bool): raise :class:`TapsComplete` once every tap is recorded, so the rest
            of the forward is skipped (used for the teacher).
    """

    def __init__(self, root: nn.Module, taps: Optional[Dict[str, Any]], owner: str,
                 early_exit: bool = False) -> None:
        self.owner, self.early_exit = owner, early_exit
        self.taps: Dict[str, FeatureTap] = {}
        for name, spec in (taps or {}).items():
            if '.' in name:
                raise DistillerConfigError(f'{owner} tap name {name!r} must not contain "."')
            if isinstance(spec, str):
                spec = dict(module=spec)
            spec = dict(spec)
            if 'module' not in spec:
                raise DistillerConfigError(
                    f'{owner} tap {name!r}: give a module path, e.g. {name}="pts_neck" or '
                    f'{name}=dict(module="pts_neck", index=0)')
            path = spec.pop('module')
            unknown = set(spec) - {'index', 'call', 'clone', 'inputs'}
            if unknown:
                raise DistillerConfigError(
                    f'{owner} tap {name!r}: unknown keys {sorted(unknown)}; allowed: module, '
                    f'index, call, clone, inputs')
            module = resolve_module(root, path, owner)
            tap = FeatureTap(name, module, path, **spec)
            tap.on_record = self._on_record
            self.taps[name] = tap

    def _on_record(self, tap: FeatureTap) -> None:
        if self.early_exit and all(t.done for t in self.taps.values()):
            raise TapsComplete()

    def __enter__(self) -> 'TapRecorder':
        for tap in self.taps.values():
            tap.reset()
            tap.recording = True
        return self

    def __exit__(self, *exc) -> bool:
        for tap in self.taps.values():
            tap.recording = False
        return False

    def values(self) -> Dict[str, Any]:
        """Recorded values of every tap.

        Raises:
            DistillerConfigError: a tap's module did not run in this step (a tap on a module
                that the student's ``loss()``, or the teacher runner, never calls).
        """
        idle = [f'{name!r} ({tap.path})' for name, tap in self.taps.items() if not tap.done]
        if idle:
            where = ("the student's loss()" if self.owner == 'student'
                     else 'the teacher runner')
            raise DistillerConfigError(
                f'{self.owner} tap(s) {", ".join(idle)} did not run: {where} never called the '
                f'module(s) in this step (a module used only in predict(), an unused branch, or '
                f'a head the teacher runner does not run: teacher_runner=dict('
                f'type="TeacherFeatureHeadRunner")). Tap a module that runs in training.')
        return {name: tap.value() for name, tap in self.taps.items()}

    def pop_values(self) -> Dict[str, Any]:
        """:meth:`values`, then :meth:`clear` (the records of one step are released)."""
        values = self.values()
        self.clear()
        return values

    def clear(self) -> None:
        for tap in self.taps.values():
            tap.reset()

    def paths(self) -> Dict[str, str]:
        return {name: tap.path for name, tap in self.taps.items()}
