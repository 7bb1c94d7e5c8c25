# Copyright (c) distillbev contributors. All rights reserved.
"""Determinism, and SIGKILL then ``resume`` (issue 15 items 2 and 3), on a tiny distillation run
with the stock Runner in a subprocess (``tests/helpers/toy_distill_run.py``: 3 epochs of 2
iterations, random point jitter and flips drawn from NumPy's global generator, a checkpoint per
epoch)."""
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import torch

from distillbev.engine.hooks.rng_state_hook import rng_states, set_rng_states

SCRIPT = Path(__file__).resolve().parents[1] / 'helpers' / 'toy_distill_run.py'


def run(work: Path, *args: str, expect_kill: bool = False) -> List[dict]:
    """Run the toy distillation; return the loss records of this run only."""
    log = work / 'losses.jsonl'
    before = log.read_text().splitlines() if log.exists() else []
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run([sys.executable, str(SCRIPT), str(work), *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300)
    if expect_kill:
        assert proc.returncode == -9, proc.stdout[-3000:]
    else:
        assert proc.returncode == 0, proc.stdout[-3000:]
    return [json.loads(line) for line in log.read_text().splitlines()[len(before):]]


def assert_loadable(work: Path) -> None:
    for ckpt in work.glob('*.pth'):
        torch.load(ckpt, map_location='cpu', weights_only=True)


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory) -> List[dict]:
    return run(tmp_path_factory.mktemp('full'))


def test_two_runs_with_one_seed_give_identical_losses(uninterrupted, tmp_path):
    assert [r['iter'] for r in uninterrupted] == [1, 2, 3, 4, 5, 6]
    assert run(tmp_path) == uninterrupted  # exact float equality, every iteration


def test_sigkill_mid_epoch_then_resume_replays_the_same_losses(uninterrupted, tmp_path):
    killed = run(tmp_path, '--kill-at-iter', '3', expect_kill=True)  # first iter of epoch 2
    assert killed == uninterrupted[:3]
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_1.pth']
    assert_loadable(tmp_path)
    resumed = run(tmp_path, '--resume')  # the latest checkpoint: epoch 1
    assert resumed == uninterrupted[2:]


def test_sigkill_while_writing_a_checkpoint_keeps_the_previous_one(uninterrupted, tmp_path):
    run(tmp_path, '--kill-in-save-at-epoch', '2', expect_kill=True)
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_1.pth']
    assert len(list(tmp_path.glob('epoch_2.pth.*.tmp'))) == 1  # the killed writer's file
    assert (tmp_path / 'last_checkpoint').read_text().endswith('epoch_1.pth')
    assert_loadable(tmp_path)
    resumed = run(tmp_path, '--resume')
    assert resumed == uninterrupted[2:]
    assert not list(tmp_path.glob('*.tmp'))  # removed when epoch_2.pth was written again
    assert_loadable(tmp_path)


def test_without_the_rng_hook_the_resumed_curve_departs(uninterrupted, tmp_path):
    """Why RNGStateCheckpointHook is in the distillation configs: mmengine re-seeds on resume."""
    run(tmp_path, '--kill-at-iter', '3', '--no-rng-hook', expect_kill=True)
    resumed = run(tmp_path, '--resume', '--no-rng-hook')
    assert [r['iter'] for r in resumed] == [3, 4, 5, 6]
    assert resumed != uninterrupted[2:]


def test_rng_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    import random

    import numpy as np
    states = rng_states()
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    torch.save(dict(meta=dict(rng_states=states)), tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)['meta']['rng_states']
    set_rng_states(loaded)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
