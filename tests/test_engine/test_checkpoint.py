# Copyright (c) distillbev contributors. All rights reserved.
"""Checkpoints written by the mmengine Runner load under torch's safe unpickler, and saving is
atomic (a crash while writing never corrupts the previous checkpoint)."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import checkpoint as mm_ckpt
from mmengine.runner import runner as mm_runner

import distillbev  # noqa: F401
from distillbev.engine.checkpoint import atomic_save_checkpoint


def _runner_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_info('iter', 3)
    return dict(meta=dict(epoch=1, iter=3, seed=np.int64(7), dataset_meta=dict(
        classes=('car', 'truck'), palette=np.array([[1, 2, 3]], dtype=np.uint8))),
        state_dict=dict(w=torch.arange(4.)), message_hub=hub.state_dict())


def test_runner_checkpoint_loads_with_weights_only_default(tmp_path):
    ckpt = _runner_like_checkpoint()
    path = str(tmp_path / 'epoch_1.pth')
    mm_runner.save_checkpoint(ckpt, path)
    # mmengine's own loader: torch.load without weights_only (default True on torch >= 2.6).
    loaded = mm_ckpt.CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.arange(4.))
    hist = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(hist, HistoryBuffer)
    assert hist.mean() == pytest.approx(1.0)
    assert loaded['meta']['seed'] == 7
    np.testing.assert_array_equal(loaded['meta']['dataset_meta']['palette'], [[1, 2, 3]])


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_untrusted_pickles_are_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        torch.save({'x': _Evil()}, f)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_save_is_atomic_on_crash(tmp_path, monkeypatch):
    path = str(tmp_path / 'latest.pth')
    atomic_save_checkpoint({'state_dict': {'w': torch.ones(3)}}, path)
    before = open(path, 'rb').read()

    def crashing_save(obj, f, *args, **kwargs):
        f.write(b'partial bytes')
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(torch, 'save', crashing_save)
    with pytest.raises(KeyboardInterrupt):
        atomic_save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, path)
    assert open(path, 'rb').read() == before
    assert os.listdir(tmp_path) == ['latest.pth']
    monkeypatch.undo()
    assert torch.equal(torch.load(path)['state_dict']['w'], torch.ones(3))


def test_runner_uses_the_atomic_writer():
    assert mm_runner.save_checkpoint is atomic_save_checkpoint
    assert mm_ckpt.save_checkpoint is atomic_save_checkpoint


class _GetattrEscape:
    """Pickles as getattr(HistoryBuffer.min, '__globals__'): must not be allowed."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer.min, '__globals__'))


def test_getattr_is_restricted_to_history_buffer_methods(tmp_path):
    path = tmp_path / 'escape.pth'
    torch.save({'x': _GetattrEscape()}, path)
    with pytest.raises(pickle.UnpicklingError, match='only the statistics methods'):
        torch.load(path)


def test_one_cycle_scheduler_state_loads_and_other_attributes_are_refused(tmp_path):
    """A OneCycleLR scheduler's state holds its annealing function, pickled as
    getattr(OneCycleParamScheduler, '_annealing_cos'); nothing else of that class loads."""
    from mmengine.optim.scheduler import OneCycleLR
    from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=2e-3)
    scheduler = OneCycleLR(optimizer, eta_max=2e-3, begin=0, end=10, by_epoch=False)
    path = tmp_path / 'iter_1.pth'
    torch.save(dict(param_schedulers=[scheduler.state_dict()]), path)
    loaded = torch.load(path)['param_schedulers'][0]
    assert loaded['anneal_func'] is OneCycleParamScheduler._annealing_cos
    assert loaded['total_steps'] == 10

    class _SchedulerEscape:
        def __reduce__(self):
            return (getattr, (OneCycleParamScheduler, '__init__'))

    torch.save({'x': _SchedulerEscape()}, tmp_path / 'escape.pth')
    with pytest.raises(pickle.UnpicklingError, match='annealing functions'):
        torch.load(tmp_path / 'escape.pth')
