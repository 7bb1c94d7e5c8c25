# Copyright (c) distillbev contributors. All rights reserved.
"""What an mmengine work directory holds, for the tools that chain runs (demo, benchmarks)."""
import glob
import os.path as osp
import time
from typing import Optional, Tuple


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``<work_dir>/last_checkpoint`` (mmengine), if it exists.

    Args:
        work_dir (str): a runner's work directory.

    Returns:
        str or None: the checkpoint path, or None when there is none (yet).
    """
    path = osp.join(work_dir, 'last_checkpoint')
    if osp.exists(path):
        with open(path) as f:
            ckpt = f.read().strip()
        if osp.exists(ckpt):
            return ckpt
    return None


# a training piece's output: <work_dir>/train_<start time in whole seconds>.log
PIECE_PREFIX = 'train_'


def training_log(work_dir: str) -> str:
    """The output file of a training piece (one ``tools/train.py`` call) starting now.

    Args:
        work_dir (str): the run's work directory.

    Returns:
        str: ``<work_dir>/train_<start>.log``, ``<start>`` the current time in whole seconds.
    """
    return osp.join(work_dir, f'{PIECE_PREFIX}{int(time.time())}.log')


def training_time(work_dir: str) -> Tuple[float, int]:
    """Wall time of every piece of a run trained in ``work_dir``, resumed pieces included.

    A piece writes its output to :func:`training_log`; the file is last written when the piece
    ends (finished, failed or killed), so the piece lasted about ``mtime - start`` seconds.

    Args:
        work_dir (str): a run's work directory.

    Returns:
        tuple[float, int]: the summed seconds and the number of pieces (0.0 and 0 when no piece
        is there).
    """
    total, pieces = 0.0, 0
    for path in glob.glob(osp.join(work_dir, f'{PIECE_PREFIX}*.log')):
        stamp = osp.basename(path)[len(PIECE_PREFIX):-len('.log')]
        if stamp.isdigit():
            total += max(0.0, osp.getmtime(path) - int(stamp))
            pieces += 1
    return total, pieces
