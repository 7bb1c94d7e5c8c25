# Copyright (c) distillbev contributors. All rights reserved.
"""Run-time check that the student and teacher maps given to one loss share their BEV cells."""
from typing import Any, Dict, List, Sequence, Tuple

from .refs import DistillerConfigError
from .taps import flatten_tensors


def spatial_sizes(value: Any) -> List[Tuple[int, int]]:
    """``(H, W)`` of every 4-D tensor in a (nested) value, in traversal order."""
    return [tuple(t.shape[-2:]) for t in flatten_tensors(value) if t.dim() == 4]


def check_shapes(name: str, mapping: Dict[str, str], kwargs: Dict[str, Any],
                 adapters: Sequence[str] = (), channelwise: bool = True) -> None:
    """Raise when the 4-D maps given to one loss do not share their BEV cells or channels.

    Checked: student vs teacher spatial size; channels of paired arguments ``s_<x>`` /
    ``t_<x>`` (level for level).

    Args:
        name (str): the loss name (for the message).
        mapping (dict): loss argument -> reference.
        kwargs (dict): loss argument -> value.
        adapters (Sequence[str]): the adapter names (for the fix in the message).
        channelwise (bool): the loss compares the maps channel for channel (a loss class sets
            ``channelwise = False`` when its student and teacher maps may differ in channels).

    Raises:
        DistillerConfigError: the maps do not share their cells; the message names both
            references, both sizes and the fixes.
    """
    sides: Dict[str, List[Tuple[str, Tuple[int, int]]]] = dict(student=[], teacher=[])
    for arg, ref in mapping.items():
        if not isinstance(ref, str):
            continue
        side = ref.split('.')[0].replace('student_raw', 'student')
        if side in sides:
            sides[side] += [(ref, s) for s in spatial_sizes(kwargs[arg])]
    s_set = {s for _, s in sides['student']}
    t_set = {s for _, s in sides['teacher']}
    if s_set and t_set and s_set != t_set:
        _raise_grid_mismatch(name, sides, s_set, t_set)
    if channelwise:
        _check_channels(name, mapping, kwargs, adapters)


def _check_channels(name: str, mapping: Dict[str, str], kwargs: Dict[str, Any],
                    adapters: Sequence[str]) -> None:
    """Paired arguments ``s_<x>`` / ``t_<x>`` must have equal channels, map for map."""
    for s_arg, s_ref in mapping.items():
        t_arg = 't_' + s_arg[2:]
        if not s_arg.startswith('s_') or t_arg not in mapping or not isinstance(s_ref, str):
            continue
        t_ref = mapping[t_arg]
        pairs = zip(flatten_tensors(kwargs[s_arg]), flatten_tensors(kwargs[t_arg]))
        for level, (s_t, t_t) in enumerate(pairs):
            if s_t.dim() != 4 or t_t.dim() != 4 or s_t.shape[1] == t_t.shape[1]:
                continue
            tap = s_ref.split('.')[1]
            fix = (f'set out_channels={t_t.shape[1]} in adapters[{tap!r}]' if tap in adapters
                   and s_ref.startswith('student.') else
                   f'add an adapter named {tap!r} (e.g. Conv1x1Adapter, in_channels='
                   f'{s_t.shape[1]}, out_channels={t_t.shape[1]})')
            raise DistillerConfigError(
                f'distill loss {name!r}: student {s_ref} has {s_t.shape[1]} channels and '
                f'teacher {t_ref} {t_t.shape[1]} (level {level}): the loss compares them '
                f'channel for channel; {fix}')


def _raise_grid_mismatch(name: str, sides: Dict[str, List[Tuple[str, Tuple[int, int]]]],
                         s_set: set, t_set: set) -> None:
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
