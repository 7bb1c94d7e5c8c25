# Copyright (c) distillbev contributors. All rights reserved.
import os
import os.path as osp
import time

from distillbev.utils.work_dir import last_checkpoint, training_log, training_time


def _piece(work_dir, start: int, end: int, name: str = None) -> None:
    path = work_dir / (name or f'train_{start}.log')
    path.write_text('log')
    os.utime(path, (end, end))


def test_training_time_sums_every_piece(tmp_path):
    assert training_time(str(tmp_path)) == (0.0, 0)
    _piece(tmp_path, 1_000_000, 1_000_600)  # a piece cut off after 10 min
    _piece(tmp_path, 1_001_000, 1_001_090)  # its resumed piece: 1.5 min
    assert training_time(str(tmp_path)) == (690.0, 2)
    # logs of other stages, and names without a start time, are not training pieces
    _piece(tmp_path, 1_002_000, 1_002_500, name='test_val.log')
    _piece(tmp_path, 1_002_000, 1_002_500, name='train_old.log')
    assert training_time(str(tmp_path)) == (690.0, 2)


def test_training_log_is_a_piece_that_training_time_counts(tmp_path):
    before = int(time.time())
    path = training_log(str(tmp_path))
    start = int(osp.basename(path)[len('train_'):-len('.log')])
    assert osp.dirname(path) == str(tmp_path) and before <= start <= time.time()
    _piece(tmp_path, start, start + 30)
    assert training_time(str(tmp_path)) == (30.0, 1)


def test_last_checkpoint_needs_the_file(tmp_path):
    assert last_checkpoint(str(tmp_path)) is None
    ckpt = tmp_path / 'iter_4.pth'
    (tmp_path / 'last_checkpoint').write_text(str(ckpt) + '\n')
    assert last_checkpoint(str(tmp_path)) is None  # named, but not written (yet)
    ckpt.write_bytes(b'x')
    assert last_checkpoint(str(tmp_path)) == str(ckpt)
