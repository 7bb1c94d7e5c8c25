# Copyright (c) distillbev contributors. All rights reserved.
"""Live stage progress (tools/demo.py, tools/kd_benchmark.py): mmengine log lines parsed, one
line rewritten on a TTY, plain lines at an interval elsewhere, the full output in the log."""
import io
import sys
import textwrap

from distillbev.utils.progress import parse_progress, run_stage, stage_name

ITER = ('11/29 11:39:21 - mmengine - INFO - Iter(train) [140/180]  lr: 1.2353e-04  eta: 0:03:34  '
        'time: 6.5746  data_time: 0.1330  grad_norm: 12.8412  loss: 12.0630  task0.loss_heatmap: '
        '1.3276')
EPOCH = ('11/29 11:39:21 - mmengine - INFO - Epoch(train)  [2][ 20/50]  lr: 1.0e-03  eta: '
         '1 day, 2:03:04  time: 2.1  loss: 3.5000  loss_depth: 1.2')
TEST = '11/29 11:40:00 - mmengine - INFO - Epoch(test) [10/24]    eta: 0:00:40  time: 0.9'


def test_parse_mmengine_lines():
    assert parse_progress(ITER) == dict(mode='train', epoch=None, step=140, total=180,
                                        eta='0:03:34', loss='12.0630')
    assert parse_progress(EPOCH) == dict(mode='train', epoch=2, step=20, total=50,
                                         eta='1 day, 2:03:04', loss='3.5000')
    assert parse_progress(TEST) == dict(mode='test', epoch=None, step=10, total=24,
                                        eta='0:00:40', loss=None)
    assert parse_progress('Loads checkpoint by local backend from path: x.pth') is None


def _child(tmp_path):
    script = tmp_path / 'child.py'
    script.write_text(textwrap.dedent(f'''
        import time
        print('starting', flush=False)
        for line in {[ITER.replace('140/', f'{i}/') for i in (1, 2, 3)]!r}:
            print(line)
        print({TEST!r})
        print('the end')
        '''))
    return [sys.executable, str(script), '--work-dir', str(tmp_path / 'wd')]


def test_live_line_on_a_tty_and_the_full_output_in_the_log(tmp_path):
    out = io.StringIO()
    log = tmp_path / 'logs' / 'child.log'
    code = run_stage('train cmkd', _child(tmp_path), str(log), str(tmp_path),
                     emit=lambda m: f'[t] {m}', stream=out, live=True)
    assert code == 0
    text = out.getvalue()
    # every update rewrites the same line (carriage return, no newline), the summary ends it
    assert text.count('\r') >= 4 and text.count('\n') == 1
    assert '[t] train cmkd  train  iter 3/180 (1%)  eta 0:03:34  loss 12.0630' in text
    assert '[t] train cmkd  test  batch 10/24 (41%)  eta 0:00:40' in text
    assert text.rstrip().endswith('last test 10/24')
    assert '[t] train cmkd done in ' in text
    full = log.read_text()
    assert full.startswith('starting\n') and full.rstrip().endswith('the end')
    assert full.count('Iter(train)') == 3


def test_plain_lines_at_an_interval_without_a_tty(tmp_path):
    out = io.StringIO()
    code = run_stage('s', _child(tmp_path), str(tmp_path / 'c.log'), str(tmp_path),
                     emit=lambda m: m, stream=out, live=False, interval=3600)
    lines = out.getvalue().splitlines()
    assert code == 0 and '\r' not in out.getvalue()
    # the first progress line, then nothing until the summary (interval not reached)
    assert len(lines) == 2 and lines[0].startswith('s  train  iter 1/180')
    assert lines[1].startswith('s done in')
    out = io.StringIO()
    run_stage('s', _child(tmp_path), str(tmp_path / 'c.log'), str(tmp_path),
              emit=lambda m: m, stream=out, live=False, interval=0)
    assert len(out.getvalue().splitlines()) == 5  # 3 train + 1 test + summary


def test_failure_is_reported_and_stage_names(tmp_path):
    out = io.StringIO()
    code = run_stage('s', [sys.executable, '-c', 'import sys; print("boom"); sys.exit(3)'],
                     str(tmp_path / 'f.log'), str(tmp_path), emit=lambda m: m, stream=out,
                     live=False)
    assert code == 3 and 's FAILED in' in out.getvalue()
    assert (tmp_path / 'f.log').read_text() == 'boom\n'
    assert stage_name(['python', '/r/tools/train.py', 'cfg.py', '--work-dir', '/r/w/x'],
                      '/r') == 'train.py w/x'
    assert stage_name(['python', 'tools/test.py', 'c.py'], '/r') == 'test.py'
