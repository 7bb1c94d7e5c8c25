# Copyright (c) distillbev contributors. All rights reserved.
"""The stock nuScenes detection metric, with mAP and NDS averaged over the evaluated classes.

nuscenes-devkit's ``DetectionConfig`` must list all ten detection classes, and its mAP and NDS
average over all ten: on a dataset that holds fewer (a benchmark's class set), every absent class
counts as AP 0 and TP error 1, so a perfect detector of four classes scores mAP 0.4. This metric
runs the stock :class:`mmdet3d.evaluation.NuScenesMetric` (and through it the devkit) unchanged,
then adds the devkit's own mAP / TP-error / NDS formulas evaluated over the dataset's classes
only. The devkit's ten-class figures stay in the output under ``mAP_all_classes`` /
``NDS_all_classes``.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmengine
import numpy as np
from mmdet3d.evaluation.metrics import NuScenesMetric
from mmdet3d.registry import METRICS

TP_METRICS = ('trans_err', 'scale_err', 'orient_err', 'vel_err', 'attr_err')


def subset_detection_scores(summary: dict, classes: Sequence[str],
                            mean_ap_weight: float = 5.0) -> Dict[str, float]:
    """mAP, mean TP errors and NDS of a devkit ``metrics_summary`` over ``classes``.

    The devkit's definitions (``DetectionMetrics``), restricted to ``classes``:
    ``AP_c = mean_t AP(c, t)`` over the distance thresholds ``t``; ``mAP = mean_c AP_c``;
    ``err_m = nanmean_c err(c, m)`` for each TP metric ``m``;
    ``NDS = (w * mAP + sum_m max(0, 1 - err_m)) / (w + 5)`` with ``w = mean_ap_weight``.

    Args:
        summary (dict): devkit ``metrics_summary.json`` (``label_aps``, ``label_tp_errors``).
        classes (Sequence[str]): Classes to average over.
        mean_ap_weight (float): The devkit config's ``mean_ap_weight``. Defaults to 5.

    Returns:
        dict: ``mAP``, ``NDS`` and the five ``trans_err``... mean TP errors.
    """
    missing = [c for c in classes if c not in summary['label_aps']]
    if missing:
        raise KeyError(f'classes {missing} are not nuScenes detection classes; the devkit '
                       f'evaluated {sorted(summary["label_aps"])}')
    m_ap = float(np.mean([np.mean(list(summary['label_aps'][c].values())) for c in classes]))
    errors = {}
    for m in TP_METRICS:
        values = np.array([summary['label_tp_errors'][c][m] for c in classes], dtype=float)
        errors[m] = float(np.nanmean(values)) if np.isfinite(values).any() else float('nan')
    scores = [max(0.0, 1.0 - e) if np.isfinite(e) else 0.0 for e in errors.values()]
    nds = (mean_ap_weight * m_ap + sum(scores)) / (mean_ap_weight + len(scores))
    return dict(mAP=m_ap, NDS=float(nds), **errors)


@METRICS.register_module()
class NuScenesClassSubsetMetric(NuScenesMetric):
    """:class:`NuScenesMetric` whose ``mAP``/``NDS``/``mATE``... cover the dataset's classes.

    Same arguments and output keys as the stock metric; ``<prefix>/mAP``, ``<prefix>/NDS`` and
    the five mean TP errors are replaced by their values over ``dataset_meta['classes']`` (see
    :func:`subset_detection_scores`), and the devkit's ten-class ``mAP``/``NDS`` are kept as
    ``<prefix>/mAP_all_classes`` / ``<prefix>/NDS_all_classes``. Per-class APs and errors are
    the stock ones. With all ten classes it reports exactly the stock figures.
    """

    def _evaluate_single(self, result_path: str, classes: Optional[List[str]] = None,
                         result_name: str = 'pred_instances_3d') -> Dict[str, float]:
        detail = super()._evaluate_single(result_path, classes, result_name)
        summary = mmengine.load(osp.join(osp.dirname(result_path), 'metrics_summary.json'))
        scores = subset_detection_scores(summary, classes,
                                         self.eval_detection_configs.mean_ap_weight)
        prefix = f'{result_name}_NuScenes'
        detail[f'{prefix}/mAP_all_classes'] = detail[f'{prefix}/mAP']
        detail[f'{prefix}/NDS_all_classes'] = detail[f'{prefix}/NDS']
        detail[f'{prefix}/mAP'] = scores['mAP']
        detail[f'{prefix}/NDS'] = scores['NDS']
        for key, name in self.ErrNameMapping.items():
            detail[f'{prefix}/{name}'] = scores[key]
        return detail
