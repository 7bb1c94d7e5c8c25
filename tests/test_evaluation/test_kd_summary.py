# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest

from distillbev.evaluation.kd_summary import (NUS_METRIC_PREFIX, mean_std, nus_run_metrics,
                                              summarize_runs, summary_markdown)


def _run(method, seed, m_ap, nds, car, split='test', minutes=10.0):
    return dict(method=method, seed=seed, split=split, mAP=m_ap, NDS=nds,
                per_class=dict(car=car), train_minutes=minutes, config='x.py',
                world_seeds=dict(train=0, val=0, test=1000))


def test_mean_std_sample_std():
    s = mean_std([1.0, 2.0, 4.0])
    assert s['mean'] == pytest.approx(7 / 3)
    # sample variance: ((1-7/3)^2 + (2-7/3)^2 + (4-7/3)^2) / 2 = (16/9 + 1/9 + 25/9) / 2 = 7/3
    assert s['std'] == pytest.approx(math.sqrt(7 / 3))
    assert mean_std([0.3]) == dict(mean=0.3, std=0.0, n=1)
    with pytest.raises(ValueError):
        mean_std([])


def test_paired_gain_by_seed():
    runs = [
        _run('baseline', 0, 0.10, 0.20, 0.30), _run('baseline', 1, 0.20, 0.25, 0.40),
        _run('baseline', 2, 0.15, 0.22, 0.35),
        # seed order shuffled on purpose: pairing is by seed, not by position
        _run('cmkd', 2, 0.16, 0.30, 0.31), _run('cmkd', 0, 0.14, 0.21, 0.36),
        _run('cmkd', 1, 0.19, 0.26, 0.41),
        _run('cmkd', 0, 0.99, 0.99, 0.99, split='val'),  # another split: ignored
    ]
    s = summarize_runs(runs)
    assert s['baseline']['gain'] is None
    g = s['cmkd']['gain']
    # per seed: 0: 0.14-0.10=+0.04, 1: 0.19-0.20=-0.01, 2: 0.16-0.15=+0.01
    assert g['mAP']['per_seed'] == pytest.approx({0: 0.04, 1: -0.01, 2: 0.01})
    assert g['mAP']['mean'] == pytest.approx(0.04 / 3)
    assert g['mAP']['min'] == pytest.approx(-0.01)
    assert g['NDS']['per_seed'] == pytest.approx({0: 0.01, 1: 0.01, 2: 0.08})
    assert g['per_class']['car']['per_seed'] == pytest.approx({0: 0.06, 1: 0.01, 2: -0.04})
    assert s['cmkd']['mAP']['mean'] == pytest.approx((0.14 + 0.19 + 0.16) / 3)
    assert s['cmkd']['seeds'] == [0, 1, 2]
    md = summary_markdown(s, labels=dict(baseline='BEVDet-R18 (no KD)'))
    lines = md.splitlines()
    assert lines[0].startswith('| method | seeds | mAP | NDS | ΔmAP mean (min)')
    assert lines[2].startswith('| BEVDet-R18 (no KD) | 0,1,2 | 0.150 ± 0.050 |')
    assert '| +0.013 (-0.010) | +0.033 |' in lines[3]


def test_gain_only_over_shared_seeds_and_duplicates_refused():
    runs = [_run('baseline', 0, 0.1, 0.2, 0.3), _run('m', 0, 0.2, 0.2, 0.3),
            _run('m', 5, 0.9, 0.9, 0.9)]
    g = summarize_runs(runs)['m']['gain']
    assert g['mAP']['per_seed'] == pytest.approx({0: 0.1})
    with pytest.raises(ValueError, match='two runs'):
        summarize_runs(runs + [_run('m', 0, 0.3, 0.3, 0.3)])


def test_nus_run_metrics_averages_thresholds():
    p = NUS_METRIC_PREFIX
    metrics = {p + 'mAP': 0.2, p + 'NDS': 0.3, p + 'car_AP_dist_0.5': 0.1,
               p + 'car_AP_dist_1.0': 0.2, p + 'car_AP_dist_2.0': 0.3, p + 'car_AP_dist_4.0': 0.6,
               p + 'car_trans_err': 0.5}
    r = nus_run_metrics(metrics, ['car'])
    assert r == dict(mAP=0.2, NDS=0.3, per_class=dict(car=pytest.approx(0.3)))
    with pytest.raises(KeyError, match='pedestrian'):
        nus_run_metrics(metrics, ['car', 'pedestrian'])
