# Copyright (c) distillbev contributors. All rights reserved.
"""tools/demo.py: the KD benchmark for one seed. End to end at a tiny scale (data,
depth pre-training, teacher, the student alone and distilled, export of the distilled student,
stock metric on the held-out split, table); a rerun trains nothing again."""
import importlib.util
import json
from pathlib import Path

import pytest

from helpers.runs import run_tool

TINY = ['train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'default_hooks.checkpoint.interval=1']


def _demo():
    spec = importlib.util.spec_from_file_location(
        'demo', Path(__file__).parents[2] / 'tools' / 'demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def test_demo_is_the_benchmark_at_demo_scale():
    argv = _demo().benchmark_argv(['--work-dir', '/tmp/d'])
    joined = ' '.join(argv)
    assert '--root /tmp/d --work-dir /tmp/d --out /tmp/d/results' in joined
    assert '--seeds 0 --splits test --export-students' in joined
    assert '--methods baseline cmkd unidistill distillbev_tuned' in joined
    # the benchmark's own scale unless asked otherwise
    assert '--iters' not in argv and '--image-size' not in argv
    scaled = ' '.join(_demo().benchmark_argv(['--iters', '80', '--image-size', '64', '176']))
    assert '--iters 80 --image-size 64 176' in scaled
    # anything else goes to the benchmark unchanged
    assert _demo().benchmark_argv(['--', '--scenes', '2'])[-2:] == ['--scenes', '2']


def test_demo_tiny_end_to_end_and_rerun(tmp_path):
    pytest.importorskip('mmcv.ops')
    work = tmp_path / 'demo'
    args = ['tools/demo.py', '--work-dir', str(work), '--methods', 'baseline', 'cmkd',
            '--iters', '2', '--pretrain-iters', '2', '--teacher-epochs', '1',
            '--image-size', '32', '88', '--', '--scenes', '2', '--val-fraction', '0.5',
            '--test-scenes', '1', '--samples', '2', '--cfg-options'] + TINY + [
                '--teacher-cfg-options'] + TINY[:3]
    out = run_tool(args, tmp_path / 'demo.log', timeout=1200)
    assert (work / 'checkpoints' / 'centerpoint-pillar04_synthetic-nus-bench.pth').exists()
    assert (work / 'cmkd' / 'seed0' / 'student_exported.pth').exists()
    runs = json.loads((work / 'results.json').read_text())['runs']
    assert sorted(r['method'] for r in runs) == ['baseline', 'cmkd', 'teacher']
    for r in runs:
        assert r['split'] == 'test' and 0.0 <= r['mAP'] <= 1.0
    students = [r for r in runs if r['method'] != 'teacher']
    for r in students:
        assert 'train_cfg.max_iters=2' in r['cfg_options']
        assert any(o.endswith('.final_size=(32,88)') for o in r['cfg_options'])
    # the distilled student was evaluated as deployed: the plain student config, exported weights
    test_log = (work / 'cmkd' / 'seed0' / 'test_test.log').read_text()
    assert 'student_exported.pth' in test_log
    assert 'configs/students/bevdepth_r18_fpn_centerhead' in out
    assert '| CMKD (paper setting) | 0 |' in (work / 'results.md').read_text()

    again = run_tool(args, tmp_path / 'demo2.log', timeout=300)
    assert 'tools/train.py' not in again and 'tools/test.py' not in again
