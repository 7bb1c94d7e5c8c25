# Copyright (c) distillbev contributors. All rights reserved.
"""tools/kd_benchmark.py at a tiny scale, with the flags tools/demo.py passes: generated train/val
and held-out test sets, depth pre-training, teacher, the baseline and one method (2 iterations
each, 32x88 images through --image-size), the distilled student exported and evaluated with the
plain student config, the stock metric, the table with paired gains; then a rerun after an
interrupted run (its record lost): only that run's evaluation is redone, nothing is trained
again."""
import json

import pytest

from distillbev.evaluation.kd_summary import summarize_runs
from helpers.runs import run_tool

TINY = ['train_dataloader.batch_size=1',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'default_hooks.checkpoint.interval=1']
TINY_TEACHER = ['train_dataloader.batch_size=1',
                'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']


def test_kd_benchmark_tiny_runs_resumes_and_pairs(tmp_path):
    pytest.importorskip('mmcv.ops')
    out = tmp_path / 'table'

    def bench(seeds):
        args = ['tools/kd_benchmark.py', '--root', str(tmp_path), '--work-dir',
                str(tmp_path / 'work'), '--out', str(out), '--scenes', '2', '--val-fraction',
                '0.5', '--test-scenes', '1', '--samples', '2', '--methods', 'baseline', 'cmkd',
                '--seeds'] + [str(s) for s in seeds]
        args += ['--iters', '2', '--pretrain-iters', '2', '--teacher-epochs', '1',
                 '--image-size', '32', '88', '--export-students']
        args += ['--cfg-options'] + TINY + ['--teacher-cfg-options'] + TINY_TEACHER
        logs = len(list(tmp_path.glob('bench_*.log')))
        return run_tool(args, tmp_path / f'bench_{logs}.log', timeout=1200)

    first = bench([0])
    assert (tmp_path / 'checkpoints' / 'centerpoint-pillar04_synthetic-nus-bench.pth').exists()
    assert (tmp_path / 'checkpoints' / 'r18-fpn_depth-pretrain_synthetic-nus-bench.pth').exists()
    assert first.count('tools/train.py') == 4  # pre-training, teacher, baseline, cmkd
    # the distilled student is evaluated as deployed: exported, with the plain student config
    assert (tmp_path / 'work' / 'cmkd' / 'seed0' / 'student_exported.pth').exists()
    cmkd_test = (tmp_path / 'work' / 'cmkd' / 'seed0' / 'test_test.log').read_text()
    assert 'student_exported.pth' in cmkd_test

    # interrupted after cmkd's training, before its record was written
    (tmp_path / 'work' / 'runs' / 'cmkd_seed0.json').unlink()
    (tmp_path / 'work' / 'cmkd' / 'seed0' / 'metrics_test.json').unlink()
    second = bench([0])
    assert 'tools/train.py' not in second and 'create_synthetic.py' not in second
    assert second.count('tools/test.py') == 1
    table = json.loads((tmp_path / 'table.json').read_text())
    runs = table['runs']
    assert sorted((r['method'], r['seed']) for r in runs) == [
        ('baseline', 0), ('cmkd', 0), ('teacher', 0)]
    for r in runs:
        assert r['split'] == 'test'
        assert r['world_seeds'] == dict(train=0, val=0, test=1000)
        assert set(r['per_class']) == {'car', 'barrier', 'bicycle', 'pedestrian'}
        assert 0.0 <= r['mAP'] <= 1.0 and r['train_minutes'] > 0
        assert r['config'].endswith('.py')
        if r['method'] != 'teacher':  # the scale flags, recorded with the run
            assert 'train_cfg.max_iters=2' in r['cfg_options']
            assert any(o.endswith('.final_size=(32,88)') for o in r['cfg_options'])
    by = {(r['method'], r['seed']): r for r in runs}
    gain = summarize_runs(runs)['cmkd']['gain']['mAP']
    expected = by[('cmkd', 0)]['mAP'] - by[('baseline', 0)]['mAP']
    assert gain['per_seed'] == pytest.approx({0: expected})
    assert gain['min'] == pytest.approx(expected)
    md = (tmp_path / 'table.md').read_text()
    assert '| CMKD (paper setting) | 0 |' in md
    assert '| BEVDepth-R18 (no KD) | 0 |' in md

    # a benchmark in progress: the tables of what has finished, the missing runs named
    partial = run_tool(['tools/kd_benchmark.py', '--root', str(tmp_path), '--work-dir',
                        str(tmp_path / 'work'), '--out', str(tmp_path / 'partial'),
                        '--methods', 'baseline', 'cmkd', '--seeds', '0', '1', '--table-only'],
                       tmp_path / 'partial.log')
    assert 'not run yet: baseline seed 1, cmkd seed 1' in partial
    assert 'tools/train.py' not in partial and 'tools/test.py' not in partial
    assert json.loads((tmp_path / 'partial.json').read_text())['runs'] == runs
