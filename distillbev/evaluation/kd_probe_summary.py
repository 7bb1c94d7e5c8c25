# Copyright (c) distillbev contributors. All rights reserved.
"""Tables of :class:`~distillbev.engine.hooks.KDTermProbeHook` records.

A record (one line of ``kd_probe.jsonl``) is::

    dict(iter=45, terms={'task0.loss_heatmap': dict(value=1.9, grad_norm={'img_backbone': 0.8,
         ...}), ..., 'sum_task': ..., 'sum_distill': ...}, cos_task_distill=-0.02,
         mask_coverage={'fg.mask': [0.06, 0.05, 0.06]})
"""
import json
from typing import Dict, List, Sequence


def load_probe(path: str) -> List[dict]:
    """The records of a ``kd_probe.jsonl`` file, in iteration order."""
    with open(path) as f:
        return sorted((json.loads(line) for line in f if line.strip()), key=lambda r: r['iter'])


def probe_markdown(records: Sequence[dict], module: str) -> str:
    """One row per loss term, one column per probe: ``value / grad norm into <module>``.

    Args:
        records (Sequence[dict]): probe records of one run.
        module (str): the probed module whose gradient norms are shown.

    Returns:
        str: a markdown table, then the task/KD gradient cosine and the KD masks' coverage rows
        when the records have them.
    """
    if not records:
        return '(no probe records)\n'
    iters = [r['iter'] for r in records]
    terms: List[str] = []
    for r in records:
        terms += [t for t in r['terms'] if t not in terms]
    # the sums last
    terms = ([t for t in terms if not t.startswith('sum_')]
             + [t for t in terms if t.startswith('sum_')])
    lines = [f'| term (loss / grad norm into `{module}`) | ' +
             ' | '.join(f'it. {i}' for i in iters) + ' |',
             '|---|' + '---|' * len(iters)]
    for term in terms:
        cells = []
        for r in records:
            t = r['terms'].get(term)
            cells.append('' if t is None else
                         f"{t['value']:.3g} / {t['grad_norm'].get(module, float('nan')):.3g}")
        lines.append(f'| {term} | ' + ' | '.join(cells) + ' |')
    if any('cos_task_distill' in r for r in records):
        lines.append('| cos(task grad, KD grad), all probed modules | ' + ' | '.join(
            f"{r['cos_task_distill']:.3f}" if 'cos_task_distill' in r else ''
            for r in records) + ' |')
    masks: Dict[str, None] = {}
    for r in records:
        masks.update(dict.fromkeys(r.get('mask_coverage', {})))
    for mask in masks:
        lines.append(f'| coverage of `{mask}` (share of BEV cells) | ' + ' | '.join(
            ', '.join(f'{c:.3f}' for c in r['mask_coverage'][mask])
            if mask in r.get('mask_coverage', {}) else '' for r in records) + ' |')
    return '\n'.join(lines) + '\n'
