# Copyright (c) distillbev contributors. All rights reserved.
"""String references that wire taps, KD targets and batch data into KD targets and losses.

A reference is ``'<namespace>.<name>[.<seg>...]'``:

- ``student.<tap>``: a student tap (after its adapter, if an adapter has the same name) or the
  output of an adapter ``<name>``; ``student_raw.<tap>``: the tap before any adapter.
- ``teacher.<tap>``: a teacher tap.
- ``target.<name>``: the output of the KD target ``<name>`` (computed once per step).
- ``data.<key>``: batch data: ``gt_bboxes_3d``, ``gt_labels_3d`` (lists over samples, from
  ``gt_instances_3d``), ``gt_bboxes``, ``gt_labels`` (2D, from ``gt_instances``), ``metas`` (list of
  metainfo dicts), ``samples`` (the data samples), ``inputs`` (the preprocessed input dict).

Each further segment indexes into the value: an integer indexes a list/tuple, a string a dict
key or an attribute, ``*`` maps the rest of the path over every element of a list/tuple (or the
values of a dict) and returns a list, and ``hw`` on a tensor gives its spatial size
``tuple(t.shape[-2:])``. Examples: ``teacher.neck`` (a tensor), ``student.heads.*.0.heatmap``
(the heatmap logits of every CenterHead task: its output is a tuple over tasks of
lists over levels of prediction dicts), ``target.fg.mask``,
``data.metas.*.lidar_aug_matrix``.
"""
from typing import Any, Dict, List, Sequence, Tuple

from torch import Tensor

NAMESPACES = ('student', 'student_raw', 'teacher', 'target', 'data')
DATA_KEYS = ('gt_bboxes_3d', 'gt_labels_3d', 'gt_bboxes', 'gt_labels', 'metas', 'samples',
             'inputs')
# Forward arguments bound to batch data when a KD target / loss config does not map them.
AUTO_BIND = {
    'gt_bboxes_3d': 'data.gt_bboxes_3d',
    'gt_labels_3d': 'data.gt_labels_3d',
    'gt_bboxes': 'data.gt_bboxes',
    'gt_labels': 'data.gt_labels',
    'metas': 'data.metas',
    'batch_input_metas': 'data.metas',
    'img_metas': 'data.metas',
    'data_samples': 'data.samples',
    'batch_data_samples': 'data.samples',
}


class DistillerConfigError(ValueError):
    """A distiller config that cannot work (raised at build time or at the first step)."""


def parse_ref(ref: str) -> Tuple[str, str, List[str]]:
    """Split a reference into ``(namespace, name, path segments)``.

    Args:
        ref (str): e.g. ``'student.heads.*.0.heatmap'``.

    Returns:
        tuple: ``('student', 'heads', ['0', '*', 'heatmap'])``.
    """
    if not isinstance(ref, str) or '.' not in ref:
        raise DistillerConfigError(
            f'bad reference {ref!r}: expected "<namespace>.<name>[.<key>...]" with namespace one '
            f'of {NAMESPACES}, e.g. "student.bev", "teacher.neck", "target.fg.mask", '
            f'"data.gt_bboxes_3d"')
    parts = ref.split('.')
    if parts[0] not in NAMESPACES:
        raise DistillerConfigError(
            f'bad reference {ref!r}: unknown namespace {parts[0]!r}; use one of {NAMESPACES}')
    return parts[0], parts[1], parts[2:]


def _index(value: Any, seg: str, ref: str) -> Any:
    if isinstance(value, (list, tuple)):
        try:
            return value[int(seg)]
        except (ValueError, IndexError):
            raise KeyError(f'reference {ref!r}: segment {seg!r} is not a valid index into a '
                           f'{type(value).__name__} of length {len(value)}') from None
    if isinstance(value, dict):
        if seg in value:
            return value[seg]
        raise KeyError(f'reference {ref!r}: no key {seg!r}; available: {sorted(value)}')
    if isinstance(value, Tensor) and seg == 'hw':
        return tuple(value.shape[-2:])
    if hasattr(value, seg):
        return getattr(value, seg)
    try:  # mmengine data elements / metainfo-like objects
        return value[seg]
    except Exception:
        raise KeyError(f'reference {ref!r}: cannot take {seg!r} of a '
                       f'{type(value).__name__}') from None


def follow_path(value: Any, path: Sequence[str], ref: str = '') -> Any:
    """Apply the path segments of a reference to a value (see the module docstring).

    Args:
        value: the value of ``<namespace>.<name>``.
        path (Sequence[str]): the remaining segments.
        ref (str): the full reference, for error messages.

    Returns:
        The selected value (a list where ``*`` was used).
    """
    for i, seg in enumerate(path):
        if seg == '*':
            items = list(value.values()) if isinstance(value, dict) else list(value)
            return [follow_path(v, path[i + 1:], ref) for v in items]
        value = _index(value, seg, ref)
    return value


def batch_data(inputs: Dict[str, Any], data_samples: Sequence[Any]) -> Dict[str, Any]:
    """Build the ``data.*`` namespace from a batch.

    Args:
        inputs (dict): the preprocessed batch inputs.
        data_samples (list[Det3DDataSample]): the batch data samples.

    Returns:
        dict: the values of ``data.<key>`` (lazily meaningful: a key whose field the samples lack
        is a list of None).
    """
    def field(name: str, attr: str) -> List[Any]:
        out = []
        for s in data_samples:
            inst = getattr(s, name, None)
            out.append(getattr(inst, attr, None) if inst is not None else None)
        return out

    return dict(
        gt_bboxes_3d=field('gt_instances_3d', 'bboxes_3d'),
        gt_labels_3d=field('gt_instances_3d', 'labels_3d'),
        gt_bboxes=field('gt_instances', 'bboxes'),
        gt_labels=field('gt_instances', 'labels'),
        metas=[s.metainfo for s in data_samples],
        samples=list(data_samples),
        inputs=inputs)
