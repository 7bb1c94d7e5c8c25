# Copyright (c) distillbev contributors. All rights reserved.
"""Run-time check that the student and teacher maps given to one loss share their BEV cells."""
from typing import Any, Dict, List, Tuple

from .refs import DistillerConfigError
from .taps import flatten_tensors


def spatial_sizes(value: Any) -> List[Tuple[int, int]]:
    """``(H, W)`` of every 4-D tensor in a (nested) value, in traversal order."""
    return [tuple(t.shape[-2:]) for t in flatten_tensors(value) if t.dim() == 4]


def check_shapes(name: str, mapping: Dict[str, str], kwargs: Dict[str, Any]) -> None:
    """Raise when the student and teacher 4-D tensors of one loss differ in spatial size.

    Args:
        name (str): the loss name (for the message).
        mapping (dict): loss argument -> reference.
        kwargs (dict): loss argument -> value.

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
    if not (s_set and t_set and s_set != t_set):
        return
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
