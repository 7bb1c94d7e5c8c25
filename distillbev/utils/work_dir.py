# Copyright (c) distillbev contributors. All rights reserved.
"""What an mmengine work directory holds, for the tools that chain runs (demo, benchmarks)."""
import glob
import os.path as osp
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


def training_time(work_dir: str, prefix: str = 'train_') -> Tuple[float, int]:
    """Wall time of every piece of a run trained in ``work_dir``, resumed pieces included.

    Each ``tools/train.py`` call of the benchmarks writes its output to
    ``<work_dir>/<prefix><start>.log``, ``<start>`` being its start time in whole seconds; the
    file is last written when the piece ends (finished, failed or killed). A piece therefore
    lasted about ``mtime - start`` seconds.

    Args:
        work_dir (str): a run's work directory.
        prefix (str): the pieces' log names before the start time. Defaults to ``'train_'``.

    Returns:
        tuple[float, int]: the summed seconds and the number of pieces (0.0 and 0 when no piece
        is there).
    """
    total, pieces = 0.0, 0
    for path in glob.glob(osp.join(work_dir, f'{prefix}*.log')):
        stamp = osp.basename(path)[len(prefix):-len('.log')]
        if stamp.isdigit():
            total += max(0.0, osp.getmtime(path) - int(stamp))
            pieces += 1
    return total, pieces
