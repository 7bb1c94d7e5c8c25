# Copyright (c) distillbev contributors. All rights reserved.
"""DDP on CPU (issue 15 item 1): ``torchrun`` with 2 ranks and the gloo backend against one
process holding the same global batch (``tests/helpers/toy_distill_run.py --ddp-check``: the
tiny CenterPoint-pillar distiller, samples in order, student BatchNorm frozen, SGD, and KD losses
normalised by counts: QFL heatmap KD over teacher positives, a masked mimic over mask cells)."""
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import distillbev  # noqa: F401  (checkpoint loading)

SCRIPT = Path(__file__).resolve().parents[1] / 'helpers' / 'toy_distill_run.py'
TORCHRUN = Path(sys.executable).parent / 'torchrun'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run(cmd, timeout=300) -> str:
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def losses(path: Path) -> list:
    return [json.loads(line)['loss'] for line in path.read_text().splitlines()]


@pytest.mark.skipif(not (TORCHRUN.exists() or shutil.which('torchrun')), reason='no torchrun')
def test_two_rank_gloo_ddp_equals_one_process_with_the_global_batch(tmp_path):
    torchrun = str(TORCHRUN) if TORCHRUN.exists() else shutil.which('torchrun')
    ddp, single = tmp_path / 'ddp', tmp_path / 'single'
    run([torchrun, '--nproc_per_node', '2', '--master_port', str(free_port()), str(SCRIPT),
         str(ddp), '--launcher', 'pytorch', '--batch-size', '1', '--epochs', '1',
         '--ddp-check'])
    run([sys.executable, str(SCRIPT), str(single), '--batch-size', '2', '--epochs', '1',
         '--ddp-check'])
    reports = [json.loads((ddp / f'report_rank{r}.json').read_text()) for r in (0, 1)]
    single_report = json.loads((single / 'report_rank0.json').read_text())
    for rep in reports:
        assert rep['wrapper'] == 'MMDistributedDataParallel'
        assert not rep['teacher_in_ddp'] and not rep['teacher_wrapped']
    # every rank's teacher is bit-identical (and equal to the single process's)
    assert reports[0]['teacher_hash'] == reports[1]['teacher_hash'] == \
        single_report['teacher_hash']
    # the checkpoint is written once, by rank 0
    assert reports[0]['saves'] == ['epoch_1.pth'] and reports[1]['saves'] == []
    # each rank saw its own sample, and the mean of the ranks' losses is the global-batch loss
    # at both iterations (the second one after a synchronised update)
    r0, r1, one = losses(ddp / 'losses.jsonl'), losses(ddp / 'losses_rank1.jsonl'), \
        losses(single / 'losses.jsonl')
    assert len(r0) == len(r1) == len(one) == 2 and r0[0] != r1[0]
    for a, b, c in zip(r0, r1, one):
        assert (a + b) / 2 == pytest.approx(c, rel=1e-5)
    # after the steps, the weights equal those of the single process within float tolerance
    w_ddp = torch.load(ddp / 'epoch_1.pth', weights_only=True)['state_dict']
    w_one = torch.load(single / 'epoch_1.pth', weights_only=True)['state_dict']
    assert w_ddp.keys() == w_one.keys()
    for k, v in w_one.items():
        if v.is_floating_point():
            torch.testing.assert_close(w_ddp[k], v, rtol=1e-4, atol=1e-5, msg=k)


def test_nccl_on_a_cpu_machine_says_to_use_gloo(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip('the CPU DDP patch is only installed without CUDA')
    from mmengine.dist import utils as dist_utils
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('LOCAL_RANK', '0')
    with pytest.raises(RuntimeError, match='env_cfg.dist_cfg.backend=gloo'):
        dist_utils._init_dist_pytorch('nccl')
