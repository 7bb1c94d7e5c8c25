# Copyright (c) distillbev contributors. All rights reserved.
"""What an mmengine work directory holds, for the tools that chain runs (demo, benchmarks)."""
import os.path as osp
from typing import Optional


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
