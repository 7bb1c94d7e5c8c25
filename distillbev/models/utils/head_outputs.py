# Copyright (c) distillbev contributors. All rights reserved.
"""Reading mmdet3d ``CenterHead`` outputs: the one home of the head-output math.

Both the KD targets (``TeacherConfidence``, ``TeacherFPMask``) and the response losses
(``HeatmapResponseLoss``, ``RegressionResponseLoss``) read per-task dicts of dense predictions,
turn heatmap logits into probabilities, take the max over classes and weight cells by the
teacher's confidence. This module depends on torch only, so the losses do not import the targets.
"""
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import Tensor

CONF_REDUCES = ('sum', 'max', 'sigmoid_sum_logits')


def task_dicts(preds: Any) -> List[Dict[str, Tensor]]:
    """Per-task prediction dicts from CenterHead-like outputs.

    Accepts what ``CenterHead.forward`` returns (a tuple over tasks of one-element lists of
    dicts, one element per feature level), a list of dicts, a single dict, a heatmap tensor or a
    list of heatmap tensors (wrapped as ``{'heatmap': t}``).

    Args:
        preds (Any): head outputs.

    Returns:
        list[dict]: one dict per task with keys such as ``heatmap`` (B, K_t, Y, X), ``reg``
        (B, 2, Y, X), ``height`` (B, 1, Y, X), ``dim`` (B, 3, Y, X), ``rot`` (B, 2, Y, X),
        ``vel`` (B, 2, Y, X).

    Raises:
        ValueError: a task has several feature levels.
        TypeError: the structure is none of the above.
    """
    if isinstance(preds, Tensor):
        return [{'heatmap': preds}]
    if isinstance(preds, dict):
        return [preds]
    if isinstance(preds, (list, tuple)):
        out: List[Dict[str, Tensor]] = []
        for p in preds:
            if isinstance(p, (list, tuple)):
                if len(p) != 1:
                    raise ValueError('CenterHead outputs with several feature levels per task are '
                                     f'not supported (got {len(p)} levels); tap one level')
                p = p[0]
            if isinstance(p, Tensor):
                p = {'heatmap': p}
            if not isinstance(p, dict):
                raise TypeError(f'unexpected head output element {type(p)}')
            out.append(p)
        return out
    raise TypeError('head outputs must be a CenterHead output (list over tasks of dicts), a dict '
                    f'or heatmap tensor(s); got {type(preds)}')


def task_heatmaps(preds: Any) -> List[Tensor]:
    """Per-task heatmaps (B, K_t, Y, X) of CenterHead-like outputs (see :func:`task_dicts`)."""
    out = []
    for d in task_dicts(preds):
        if 'heatmap' not in d:
            raise KeyError(f"head output dict has no 'heatmap' key (keys: {sorted(d)})")
        out.append(d['heatmap'])
    return out


def clip_sigmoid(x: Tensor, eps: float = 1e-4) -> Tensor:
    """``clamp(sigmoid(x), eps, 1 - eps)`` (mmdet3d's ``clip_sigmoid``, not in place)."""
    return torch.sigmoid(x).clamp(min=eps, max=1 - eps)


def heatmap_prob(heatmap: Tensor,
                 is_prob: bool = False,
                 temperature: float = 1.0,
                 clip: bool = True) -> Tensor:
    """Probabilities of one heatmap, in float32.

    Args:
        heatmap (Tensor): (B, K, Y, X) logits, or probabilities if ``is_prob``.
        is_prob (bool): ``heatmap`` already holds probabilities (only clamped if ``clip``).
        temperature (float): logits are divided by it before the sigmoid (logits only).
        clip (bool): clamp to ``[1e-4, 1 - 1e-4]`` (mmdet3d's ``clip_sigmoid``).

    Returns:
        Tensor: (B, K, Y, X) float32.
    """
    h = heatmap.float()
    if is_prob:
        return h.clamp(1e-4, 1 - 1e-4) if clip else h
    h = h / temperature
    return clip_sigmoid(h) if clip else torch.sigmoid(h)


def max_over_tasks(maps: Sequence[Tensor]) -> Tensor:
    """Max over the channels of every map: per task (B, K_t, Y, X) -> (B, 1, Y, X) float32."""
    return torch.cat([m.float().amax(dim=1, keepdim=True) for m in maps],
                     dim=1).amax(dim=1, keepdim=True)


def max_class_prob(preds: Any, is_prob: bool = False, temperature: float = 1.0) -> Tensor:
    """Max over all classes of all tasks of the clip-sigmoid heatmaps.

    Args:
        preds (Any): head outputs or heatmaps (logits unless ``is_prob``).
        is_prob (bool): heatmaps are already probabilities (only clamped then).
        temperature (float): logits are divided by it before the sigmoid.

    Returns:
        Tensor: (B, 1, Y, X) float32 (keeps the graph: detach teacher inputs yourself).
    """
    return max_over_tasks([heatmap_prob(h, is_prob, temperature) for h in task_heatmaps(preds)])


def check_conf_reduce(reduce: str) -> None:
    """Raise a ValueError naming the choices unless ``reduce`` is a teacher-confidence reduce."""
    if reduce not in CONF_REDUCES:
        raise ValueError(f"reduce must be one of {CONF_REDUCES}; got {reduce!r}")


def teacher_confidence(t_preds: Any,
                       thr: Optional[float] = 0.1,
                       reduce: str = 'sum',
                       teacher_is_prob: bool = False) -> List[Tensor]:
    """Per-task confidence of teacher heatmaps, for response distillation (CMKD).

    Per task, with ``t`` the (B, K_t, Y, X) teacher heatmap:

    - ``'sum'``: ``h = sum_k sigmoid(t_k)`` (CMKD-KITTI, ``CenterHeadSoft``);
    - ``'max'``: ``h = max_k sigmoid(t_k)``;
    - ``'sigmoid_sum_logits'``: ``h = sigmoid(sum_k t_k)`` (CMKD-MV, nuScenes; needs logits);

    then ``w = h * [h > thr]`` (no threshold if ``thr`` is None). The teacher is detached.

    Args:
        t_preds (Any): teacher CenterHead outputs or heatmaps (see :func:`task_dicts`).
        thr (float, optional): weights not above it are 0; None: no threshold.
        reduce (str): ``'sum'``, ``'max'`` or ``'sigmoid_sum_logits'``.
        teacher_is_prob (bool): heatmaps are probabilities, not logits.

    Returns:
        list[Tensor]: per task (B, 1, Y, X) float32 weights.

    Raises:
        ValueError: unknown ``reduce``, or ``'sigmoid_sum_logits'`` on probabilities.
    """
    check_conf_reduce(reduce)
    if reduce == 'sigmoid_sum_logits' and teacher_is_prob:
        raise ValueError("reduce='sigmoid_sum_logits' needs teacher logits "
                         '(teacher_is_prob=False)')
    out = []
    for h in task_heatmaps(t_preds):
        h = h.detach().float()
        if reduce == 'sigmoid_sum_logits':
            conf = torch.sigmoid(h.sum(dim=1, keepdim=True))
        else:
            p = heatmap_prob(h, teacher_is_prob, clip=False)
            conf = p.sum(dim=1, keepdim=True) if reduce == 'sum' else p.amax(dim=1, keepdim=True)
        if thr is not None:
            conf = conf * (conf > thr).float()
        out.append(conf)
    return out


__all__ = ['task_dicts', 'task_heatmaps', 'clip_sigmoid', 'heatmap_prob', 'max_over_tasks',
           'max_class_prob', 'check_conf_reduce', 'teacher_confidence', 'CONF_REDUCES']
