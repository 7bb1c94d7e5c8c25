# Copyright (c) distillbev contributors. All rights reserved.
"""Tables of a KD benchmark: mean +- std over seeds and the paired per-seed gain.

A *run* is one trained model evaluated once on one split, as ``tools/kd_benchmark.py`` records
it::

    dict(method='cmkd', seed=0, split='test', mAP=0.21, NDS=0.30,
         per_class=dict(car=0.45, pedestrian=0.12, ...), train_minutes=14.2,
         config='configs/...py', world_seeds=dict(train=0, val=0, test=1000))

:func:`summarize_runs` groups the runs of one split by method and, for every method other than
the baseline, pairs each of its seeds with the baseline's run of the same seed: the paired gain of
seed ``s`` is ``metric(method, s) - metric(baseline, s)``. Pairing removes the part of the
seed-to-seed spread that both runs share (same initialisation and data order), which is what
makes a three-seed comparison meaningful.

The headline metrics are a parameter: ``('mAP', 'NDS')`` for the nuScenes benchmark,
``('car_3d_mod', 'car_bev_mod')`` (:func:`kitti_run_metrics`) for the KITTI one.
"""
import math
from typing import Dict, List, Optional, Sequence

NUS_METRIC_PREFIX = 'NuScenes metric/pred_instances_3d_NuScenes/'
KITTI_METRIC_PREFIX = 'Kitti metric/pred_instances_3d/KITTI/'
NUS_METRICS = ('mAP', 'NDS')
KITTI_METRICS = ('car_3d_mod', 'car_bev_mod', 'car_3d_mod_iou05')
KITTI_TITLES = dict(car_3d_mod='Car 3D AP40 mod', car_bev_mod='Car BEV AP40 mod',
                    car_3d_mod_iou05='Car 3D AP40 mod @0.5')


def nus_run_metrics(metrics: Dict[str, float], classes: Sequence[str],
                    prefix: str = NUS_METRIC_PREFIX) -> dict:
    """mAP, NDS and per-class AP from the flat dict the stock ``NuScenesMetric`` returns.

    Args:
        metrics (dict): ``runner.test()`` output (``<prefix>mAP``, ``<prefix>NDS``,
            ``<prefix><cls>_AP_dist_<thr>``...).
        classes (Sequence[str]): Classes of the evaluation; the per-class AP is the mean over
            the distance thresholds the metric reports (0.5/1/2/4 m), as the devkit's mAP.
        prefix (str): Key prefix of the metric.

    Returns:
        dict: ``mAP``, ``NDS`` and ``per_class`` (class -> AP).

    Raises:
        KeyError: ``mAP`` or a class's AP is missing (wrong prefix or class list).
    """
    per_class = {}
    for cls in classes:
        aps = [v for k, v in metrics.items() if k.startswith(f'{prefix}{cls}_AP_dist_')]
        if not aps:
            raise KeyError(f'no AP of class {cls!r} under {prefix!r} in the metrics; the '
                           f'evaluated classes are the dataset metainfo classes')
        per_class[cls] = sum(aps) / len(aps)
    return dict(mAP=float(metrics[prefix + 'mAP']), NDS=float(metrics[prefix + 'NDS']),
                per_class=per_class)


def kitti_run_metrics(metrics: Dict[str, float], classes: Sequence[str],
                      prefix: str = KITTI_METRIC_PREFIX) -> dict:
    """Car 3D/BEV AP and per-class 3D AP from the flat dict the stock ``KittiMetric`` returns.

    Every value is the R40 AP (in percent) at moderate difficulty with the strict IoU thresholds
    (KITTI's: 0.7 Car, 0.5 Pedestrian/Cyclist; the ``_strict`` keys), except
    ``car_3d_mod_iou05``: Car 3D at IoU 0.5 (the ``_loose`` key), which separates students that
    place few cars within 0.7.

    Args:
        metrics (dict): ``runner.test()`` output (``<prefix><cls>_3D_AP40_moderate_strict``,
            ``<prefix><cls>_BEV_AP40_moderate_strict``...).
        classes (Sequence[str]): Classes of the evaluation (``Car`` among them).
        prefix (str): Key prefix of the metric.

    Returns:
        dict: ``car_3d_mod``, ``car_bev_mod``, ``car_3d_mod_iou05`` and ``per_class``
        (class -> 3D AP, strict).

    Raises:
        KeyError: An AP is missing (wrong prefix or class list, or a 2D-only evaluation).
    """
    def ap(cls: str, kind: str, iou: str = 'strict') -> float:
        key = f'{prefix}{cls}_{kind}_AP40_moderate_{iou}'
        if key not in metrics:
            raise KeyError(f'no {kind} AP40 (moderate, {iou}) of class {cls!r} in the metrics: '
                           f'{key!r} is missing; the evaluated classes are the dataset metainfo '
                           f'classes and the metric must evaluate 3D boxes')
        return float(metrics[key])

    return dict(car_3d_mod=ap('Car', '3D'), car_bev_mod=ap('Car', 'BEV'),
                car_3d_mod_iou05=ap('Car', '3D', 'loose'),
                per_class={cls: ap(cls, '3D') for cls in classes})


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and sample standard deviation (``ddof=1``; 0 for a single value).

    Args:
        values (Sequence[float]): At least one value.

    Returns:
        dict: ``mean``, ``std``, ``n``.
    """
    n = len(values)
    if n == 0:
        raise ValueError('mean_std needs at least one value')
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return dict(mean=mean, std=std, n=n)


def summarize_runs(runs: List[dict], baseline: str = 'baseline',
                   split: Optional[str] = 'test',
                   unpaired: Sequence[str] = ('teacher', ),
                   metrics: Sequence[str] = NUS_METRICS,
                   pairs: Optional[Dict[str, Optional[str]]] = None) -> Dict[str, dict]:
    """Aggregate runs per method: mean/std of every metric and the paired gain.

    Args:
        runs (list[dict]): Run records (see the module docstring).
        baseline (str): Method name of the reference student.
        split (str, optional): Keep only runs of this split; None keeps all.
        unpaired (Sequence[str]): Methods reported without a gain (the teacher: another
            model, not a variant of the student).
        metrics (Sequence[str]): Headline metrics of the records (``mAP``, ``NDS`` by default).
        pairs (dict, optional): Method -> the method its seeds are paired with, for methods
            whose reference is not ``baseline`` (a KD row on another student is paired with that
            student alone); None: reported without a gain.

    Returns:
        dict: ``method -> dict(seeds, <metrics>, per_class, train_minutes, gain)`` in the order
        methods first appear. Each headline metric, ``train_minutes`` and each ``per_class``
        entry are :func:`mean_std` dicts. ``gain`` (None for the baseline, for ``unpaired``
        methods and when no seed is shared with the method's reference) maps the headline
        metrics and ``per_class`` entries to ``dict(mean, min, per_seed)`` over the seeds both
        runs have.
    """
    runs = [r for r in runs if split is None or r['split'] == split]
    by_method: Dict[str, Dict[int, dict]] = {}
    for r in runs:
        seeds = by_method.setdefault(r['method'], {})
        if r['seed'] in seeds:
            raise ValueError(f"two runs of method {r['method']!r} with seed {r['seed']} on "
                             f"split {r['split']!r}")
        seeds[r['seed']] = r
    pairs = pairs or {}
    out = {}
    for method, seeds in by_method.items():
        rs = [seeds[s] for s in sorted(seeds)]
        classes = list(rs[0]['per_class'])
        entry = dict(seeds=sorted(seeds), **{m: mean_std([r[m] for r in rs]) for m in metrics})
        entry.update(
            per_class={c: mean_std([r['per_class'][c] for r in rs]) for c in classes},
            train_minutes=mean_std([r['train_minutes'] for r in rs]),
            gain=None)
        ref = pairs.get(method, baseline)
        base = by_method.get(ref, {}) if ref is not None else {}
        shared = sorted(s for s in seeds if s in base)
        if method != ref and method not in unpaired and shared:
            def paired(get):
                diffs = {s: get(seeds[s]) - get(base[s]) for s in shared}
                return dict(mean=sum(diffs.values()) / len(diffs), min=min(diffs.values()),
                            per_seed=diffs)
            entry['gain'] = {m: paired(lambda r, m=m: r[m]) for m in metrics}
            entry['gain']['per_class'] = {c: paired(lambda r, c=c: r['per_class'][c])
                                          for c in classes}
        out[method] = entry
    return out


def _pm(stat: Dict[str, float], digits: int = 3) -> str:
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def _signed(value: float, digits: int = 3) -> str:
    return f'{value:+.{digits}f}'


def summary_markdown(summary: Dict[str, dict], labels: Optional[Dict[str, str]] = None,
                     metrics: Sequence[str] = NUS_METRICS,
                     titles: Optional[Dict[str, str]] = None, digits: int = 3) -> str:
    """Markdown table of :func:`summarize_runs`' output.

    Columns: method, seeds, every headline metric (mean ± std), the paired gain of the first
    (mean, min over seeds), the paired gain of the others (mean), per-class AP (mean ± std),
    train minutes (mean).

    Args:
        summary (dict): Output of :func:`summarize_runs`.
        labels (dict, optional): Method -> display name.
        metrics (Sequence[str]): Headline metrics, as given to :func:`summarize_runs`.
        titles (dict, optional): Metric -> column title (default: the metric's name).
        digits (int): Decimals of every metric (3 for nuScenes' fractions, 2 for KITTI's
            percentages).

    Returns:
        str: The table (no trailing newline).
    """
    labels, titles = labels or {}, titles or {}
    names = [titles.get(m, m) for m in metrics]
    classes = list(next(iter(summary.values()))['per_class']) if summary else []
    head = (['method', 'seeds'] + names + [f'Δ{names[0]} mean (min)']
            + [f'Δ{n} mean' for n in names[1:]] + [f'{c} AP' for c in classes] + ['train min'])
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for method, e in summary.items():
        g = e['gain']
        first = metrics[0]
        gains = ([f"{_signed(g[first]['mean'], digits)} ({_signed(g[first]['min'], digits)})"]
                 + [_signed(g[m]['mean'], digits) for m in metrics[1:]]
                 if g else ['—'] * len(metrics))
        cells = ([labels.get(method, method), ','.join(map(str, e['seeds']))]
                 + [_pm(e[m], digits) for m in metrics] + gains
                 + [_pm(e['per_class'][c], digits) for c in classes]
                 + [f"{e['train_minutes']['mean']:.1f}"])
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


__all__ = ['NUS_METRIC_PREFIX', 'KITTI_METRIC_PREFIX', 'NUS_METRICS', 'KITTI_METRICS',
           'KITTI_TITLES', 'nus_run_metrics', 'kitti_run_metrics', 'mean_std', 'summarize_runs',
           'summary_markdown']
