# Copyright (c) distillbev contributors. All rights reserved.
"""Run the command-line tools as a user would, on the session's tiny generated datasets."""
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

REPO = Path(__file__).resolve().parents[2]


def tiny_run_options(root: str, max_epochs: int) -> List[str]:
    """``--cfg-options`` for a tiny run on a generated nuScenes-layout set: batch 1, no workers,
    a checkpoint and a log line every epoch/iteration, no validation while training."""
    root = root.rstrip('/') + '/'
    return [
        '--cfg-options', f'train_cfg.max_epochs={max_epochs}', 'train_cfg.val_interval=100',
        'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}', f'val_evaluator.data_root={root}',
        f'val_evaluator.ann_file={root}nuscenes_infos_val.pkl', f'test_evaluator.data_root={root}',
        f'test_evaluator.ann_file={root}nuscenes_infos_val.pkl',
        'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
        'default_hooks.visualization.draw=False', 'randomness.seed=0'
    ]


def run_tool(args: List[str], log: Path, cwd: Optional[Path] = None,
             env: Optional[dict] = None, timeout: int = 600) -> str:
    """Run ``python <args>`` (single-threaded torch), save its output to ``log``, assert rc 0."""
    full_env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
                    PYTHONWARNINGS='ignore')
    full_env.update(env or {})
    proc = subprocess.run([sys.executable] + args, cwd=cwd or REPO, env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    log.write_text(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout
