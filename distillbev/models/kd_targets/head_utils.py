# Copyright (c) distillbev contributors. All rights reserved.
"""Helpers to read mmdet3d ``CenterHead`` outputs (per-task dicts of dense predictions)."""
from typing import Any, Dict, List

import torch
from torch import Tensor


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


def max_class_prob(preds: Any, is_prob: bool = False, temperature: float = 1.0) -> Tensor:
    """Max over all classes of all tasks of the clip-sigmoid heatmaps.

    Args:
        preds (Any): head outputs or heatmaps (logits unless ``is_prob``).
        is_prob (bool): heatmaps are already probabilities (only clamped then).
        temperature (float): logits are divided by it before the sigmoid.

    Returns:
        Tensor: (B, 1, Y, X) float32.
    """
    maps = []
    for h in task_heatmaps(preds):
        h = h.float()
        p = h.clamp(1e-4, 1 - 1e-4) if is_prob else clip_sigmoid(h / temperature)
        maps.append(p.amax(dim=1, keepdim=True))
    return torch.cat(maps, dim=1).amax(dim=1, keepdim=True)


__all__ = ['task_dicts', 'task_heatmaps', 'clip_sigmoid', 'max_class_prob']
