# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest

from distillbev.evaluation.metrics import subset_detection_scores

ERRS = ('trans_err', 'scale_err', 'orient_err', 'vel_err', 'attr_err')


def _summary():
    aps = {'car': {'0.5': 0.2, '1.0': 0.4, '2.0': 0.6, '4.0': 0.8},       # mean 0.5
           'barrier': {'0.5': 0.0, '1.0': 0.1, '2.0': 0.2, '4.0': 0.3},   # mean 0.15
           'truck': {'0.5': 0.0, '1.0': 0.0, '2.0': 0.0, '4.0': 0.0}}
    errs = {'car': dict(trans_err=0.3, scale_err=0.2, orient_err=0.1, vel_err=1.5, attr_err=0.4),
            'barrier': dict(trans_err=0.5, scale_err=0.4, orient_err=0.3, vel_err=float('nan'),
                            attr_err=float('nan')),
            'truck': dict(trans_err=1.0, scale_err=1.0, orient_err=1.0, vel_err=1.0,
                          attr_err=1.0)}
    return dict(label_aps=aps, label_tp_errors=errs)


def test_subset_scores_by_hand():
    s = subset_detection_scores(_summary(), ['car', 'barrier'])
    assert s['mAP'] == pytest.approx((0.5 + 0.15) / 2)
    assert s['trans_err'] == pytest.approx(0.4) and s['scale_err'] == pytest.approx(0.3)
    assert s['orient_err'] == pytest.approx(0.2)
    assert s['vel_err'] == pytest.approx(1.5) and s['attr_err'] == pytest.approx(0.4)  # nanmean
    # TP scores: 0.6, 0.7, 0.8, max(0, 1 - 1.5) = 0, 0.6 ; NDS = (5 * 0.325 + 2.7) / 10
    assert s['NDS'] == pytest.approx((5 * 0.325 + 2.7) / 10)


def test_subset_scores_absent_class_and_unknown_class():
    # the ten-class mean counts an absent class as AP 0 / error 1: the subset mean does not
    full = subset_detection_scores(_summary(), ['car', 'barrier', 'truck'])
    assert full['mAP'] == pytest.approx(0.65 / 3)
    assert full['trans_err'] == pytest.approx(0.6)
    only_nan = dict(label_aps=_summary()['label_aps'],
                    label_tp_errors={'barrier': _summary()['label_tp_errors']['barrier']})
    s = subset_detection_scores(only_nan, ['barrier'])
    assert math.isnan(s['vel_err']) and s['NDS'] == pytest.approx((5 * 0.15 + 0.5 + 0.6 + 0.7)
                                                                  / 10)
    with pytest.raises(KeyError, match='bus'):
        subset_detection_scores(_summary(), ['car', 'bus'])
