# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest

from distillbev.evaluation.kd_summary import (KITTI_METRIC_PREFIX, KITTI_METRICS, KITTI_TITLES,
                                              NUS_METRIC_PREFIX, kitti_run_metrics, mean_std,
                                              nus_run_metrics, summarize_runs, summary_markdown)


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


def test_pairs_give_a_kd_row_its_own_student():
    # a KD row on another student (the temporal students) is paired with that student alone;
    # the student alone with the baseline, or (None) with nothing
    runs = [_run('baseline', 0, 0.10, 0.20, 0.30), _run('baseline', 1, 0.20, 0.20, 0.30),
            _run('s4d', 0, 0.12, 0.20, 0.30), _run('s4d', 1, 0.15, 0.20, 0.30),
            _run('kd4d', 0, 0.20, 0.20, 0.30), _run('kd4d', 1, 0.14, 0.20, 0.30),
            _run('other', 0, 0.05, 0.20, 0.30), _run('kd_other', 0, 0.07, 0.20, 0.30)]
    s = summarize_runs(runs, pairs=dict(kd4d='s4d', other=None, kd_other='other'))
    # s4d - baseline: +0.02, -0.05
    assert s['s4d']['gain']['mAP']['per_seed'] == pytest.approx({0: 0.02, 1: -0.05})
    # kd4d - s4d (not - baseline): +0.08, -0.01
    assert s['kd4d']['gain']['mAP']['per_seed'] == pytest.approx({0: 0.08, 1: -0.01})
    assert s['kd4d']['gain']['mAP']['min'] == pytest.approx(-0.01)
    assert s['other']['gain'] is None
    assert s['kd_other']['gain']['mAP']['per_seed'] == pytest.approx({0: 0.02})
    # a reference without runs of a shared seed: no gain
    assert summarize_runs(runs[:2] + runs[4:6], pairs=dict(kd4d='s4d'))['kd4d']['gain'] is None


def test_nus_run_metrics_averages_thresholds():
    p = NUS_METRIC_PREFIX
    metrics = {p + 'mAP': 0.2, p + 'NDS': 0.3, p + 'car_AP_dist_0.5': 0.1,
               p + 'car_AP_dist_1.0': 0.2, p + 'car_AP_dist_2.0': 0.3, p + 'car_AP_dist_4.0': 0.6,
               p + 'car_trans_err': 0.5}
    r = nus_run_metrics(metrics, ['car'])
    assert r == dict(mAP=0.2, NDS=0.3, per_class=dict(car=pytest.approx(0.3)))
    with pytest.raises(KeyError, match='pedestrian'):
        nus_run_metrics(metrics, ['car', 'pedestrian'])


def _kitti_metrics(car3d=12.5, carbev=20.0, ped3d=3.0, cyc3d=1.5):
    """What the stock KittiMetric returns for a 3D-box model (the keys tools/test.py writes)."""
    p = KITTI_METRIC_PREFIX
    out = {}
    for cls, ap3d, bev in (('Pedestrian', ped3d, 4.0), ('Cyclist', cyc3d, 2.0),
                           ('Car', car3d, carbev)):
        for diff in ('easy', 'moderate', 'hard'):
            for iou in ('strict', 'loose'):
                # the decoys: other difficulties and the loose IoU carry other values
                bump = 0.0 if (diff, iou) == ('moderate', 'strict') else 50.0
                out[f'{p}{cls}_3D_AP40_{diff}_{iou}'] = ap3d + bump
                out[f'{p}{cls}_BEV_AP40_{diff}_{iou}'] = bev + bump
                out[f'{p}{cls}_2D_AP40_{diff}_{iou}'] = 90.0
                out[f'{p}{cls}_3D_AP11_{diff}_{iou}'] = 77.0
    for diff in ('easy', 'moderate', 'hard'):
        out[f'{p}Overall_3D_AP40_{diff}'] = 66.0
    return out


def test_kitti_run_metrics_reads_moderate_strict_ap40():
    r = kitti_run_metrics(_kitti_metrics(), ['Pedestrian', 'Cyclist', 'Car'])
    # Car 3D at IoU 0.5: the loose key (the decoys' +50)
    assert r == dict(car_3d_mod=12.5, car_bev_mod=20.0, car_3d_mod_iou05=62.5,
                     per_class=dict(Pedestrian=3.0, Cyclist=1.5, Car=12.5))
    # another metric prefix (a KittiMetric with prefix=...) is read through `prefix`
    plain = {k[len('Kitti metric/'):]: v for k, v in _kitti_metrics().items()}
    assert kitti_run_metrics(plain, ['Car'], prefix='pred_instances_3d/KITTI/')['car_3d_mod'] \
        == 12.5
    with pytest.raises(KeyError, match="3D AP40.*'Van'"):
        kitti_run_metrics(_kitti_metrics(), ['Car', 'Van'])
    # a 2D-only evaluation (no 3D keys), or the wrong prefix
    with pytest.raises(KeyError, match="'Car'"):
        kitti_run_metrics({k: v for k, v in _kitti_metrics().items() if '_2D_' in k}, ['Car'])
    with pytest.raises(KeyError, match='missing'):
        kitti_run_metrics(plain, ['Car'])


def _kitti_run(method, seed, car3d, carbev, ped, split='test'):
    return dict(method=method, seed=seed, split=split, car_3d_mod=car3d, car_bev_mod=carbev,
                car_3d_mod_iou05=car3d + 10.0, per_class=dict(Car=car3d, Pedestrian=ped),
                train_minutes=15.0)


def test_kitti_summary_pairs_the_first_headline_metric():
    runs = [_kitti_run('teacher', 0, 40.0, 50.0, 5.0),
            _kitti_run('baseline', 0, 10.0, 15.0, 1.0), _kitti_run('baseline', 1, 20.0, 24.0, 3.0),
            _kitti_run('monodistill', 1, 19.0, 26.0, 2.0),
            _kitti_run('monodistill', 0, 12.5, 15.5, 1.5)]
    s = summarize_runs(runs, metrics=KITTI_METRICS)
    assert s['teacher']['gain'] is None and s['baseline']['gain'] is None
    assert 'mAP' not in s['baseline']
    g = s['monodistill']['gain']
    # seed 0: 12.5 - 10 = +2.5; seed 1: 19 - 20 = -1 -> mean +0.75, min -1
    assert g['car_3d_mod']['per_seed'] == pytest.approx({0: 2.5, 1: -1.0})
    assert g['car_3d_mod']['mean'] == pytest.approx(0.75)
    assert g['car_3d_mod']['min'] == pytest.approx(-1.0)
    # BEV: +0.5, +2 -> mean +1.25
    assert g['car_bev_mod']['mean'] == pytest.approx(1.25)
    assert g['per_class']['Pedestrian']['per_seed'] == pytest.approx({0: 0.5, 1: -1.0})
    assert s['baseline']['car_3d_mod']['mean'] == pytest.approx(15.0)
    md = summary_markdown(s, dict(baseline='MonoDLE-DLA34 (no KD)'), metrics=KITTI_METRICS,
                          titles=KITTI_TITLES, digits=2)
    lines = md.splitlines()
    assert lines[0] == ('| method | seeds | Car 3D AP40 mod | Car BEV AP40 mod | '
                        'Car 3D AP40 mod @0.5 | ΔCar 3D AP40 mod mean (min) | '
                        'ΔCar BEV AP40 mod mean | ΔCar 3D AP40 mod @0.5 mean | Car AP | '
                        'Pedestrian AP | train min |')
    assert lines[1] == '|' + '---|' * 11
    assert lines[2] == '| teacher | 0 | 40.00 ± 0.00 | 50.00 ± 0.00 | 50.00 ± 0.00 | — | — | ' \
        '— | 40.00 ± 0.00 | 5.00 ± 0.00 | 15.0 |'
    # sample std of (10, 20): 7.07
    assert lines[3].startswith('| MonoDLE-DLA34 (no KD) | 0,1 | 15.00 ± 7.07 | 19.50 ± 6.36 | '
                               '25.00 ± 7.07 | — | — | — |')
    assert lines[4].startswith('| monodistill | 0,1 | 15.75 ± 4.60 | 20.75 ± 7.42 | '
                               '25.75 ± 4.60 | +0.75 (-1.00) | +1.25 | +0.75 | 15.75 ± 4.60 | '
                               '1.75 ± 0.35 |')
