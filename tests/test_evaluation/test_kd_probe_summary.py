# Copyright (c) distillbev contributors. All rights reserved.
"""The probe table: one row per term with value / grad norm per probe, cosine and coverage."""
import json

from distillbev.evaluation.kd_probe_summary import load_probe, probe_markdown


def _rec(it, kd_value, cos):
    return dict(iter=it, terms={
        'task0.loss_heatmap': dict(value=2.0, grad_norm=dict(bev=0.5, img=0.1)),
        'distill.loss_bev': dict(value=kd_value, grad_norm=dict(bev=4.0, img=1.25)),
        'sum_task': dict(value=2.0, grad_norm=dict(bev=0.5, img=0.1)),
        'sum_distill': dict(value=kd_value, grad_norm=dict(bev=4.0, img=1.25))},
        cos_task_distill=cos, mask_coverage={'fg.mask': [0.0625, 0.125]})


def test_probe_table(tmp_path):
    path = tmp_path / 'kd_probe.jsonl'
    # written out of order: loaded in iteration order
    path.write_text('\n'.join(json.dumps(r) for r in (_rec(46, 3.0, 0.25), _rec(1, 30.0, -0.5))))
    records = load_probe(str(path))
    assert [r['iter'] for r in records] == [1, 46]
    lines = probe_markdown(records, 'img').splitlines()
    assert lines[0] == '| term (loss / grad norm into `img`) | it. 1 | it. 46 |'
    assert lines[2] == '| task0.loss_heatmap | 2 / 0.1 | 2 / 0.1 |'
    assert lines[3] == '| distill.loss_bev | 30 / 1.25 | 3 / 1.25 |'
    assert lines[4].startswith('| sum_task |') and lines[5].startswith('| sum_distill |')
    assert lines[6] == '| cos(task grad, KD grad), all probed modules | -0.500 | 0.250 |'
    assert lines[7] == '| coverage of `fg.mask` (share of BEV cells) | 0.062, 0.125 | 0.062, 0.125 |'
    assert probe_markdown([], 'img') == '(no probe records)\n'
