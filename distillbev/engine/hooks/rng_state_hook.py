# Copyright (c) distillbev contributors. All rights reserved.
"""Save the random generators' states in every checkpoint and restore them on ``--resume``."""
import random
from typing import Dict, Optional

import numpy as np
import torch
from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook


def rng_states() -> Dict[str, object]:
    """The states of Python's, NumPy's and torch's global generators (CUDA too when present).

    Returns:
        dict: only tensors, ints, floats, strings and tuples of them, so the checkpoint loads
        with ``torch.load(weights_only=True)``.
    """
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    states = dict(python=random.getstate(),
                  numpy=(kind, torch.from_numpy(keys.astype(np.int64)), int(pos),
                         int(has_gauss), float(gauss)),
                  torch=torch.get_rng_state())
    if torch.cuda.is_available():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: Dict[str, object]) -> None:
    """Restore the states written by :func:`rng_states`."""
    random.setstate(states['python'])
    kind, keys, pos, has_gauss, gauss = states['numpy']
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


@HOOKS.register_module()
class RNGStateCheckpointHook(Hook):
    """Make ``--resume`` continue the random streams instead of re-seeding them.

    mmengine saves the seed, not the generators' states: a resumed run re-seeds and then draws
    other augmentations (and dropout masks) than the uninterrupted run would have, so its loss
    curve departs from it. This hook writes the states of Python's, NumPy's and torch's global
    generators into each checkpoint (``meta['rng_states']``) and, when the run resumes, restores
    them just before training continues. With ``num_workers=0`` the pipeline draws from these
    generators; worker processes are re-seeded by mmengine's ``worker_init_fn`` and torch's
    per-epoch base seed, which is drawn from the restored torch generator. A checkpoint without
    states (written without this hook) resumes as mmengine does, with a warning.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[Dict[str, object]] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['rng_states'] = rng_states()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = (checkpoint.get('meta') or {}).get('rng_states')
        if self._pending is None and getattr(runner, '_resume', False):
            runner.logger.warning('RNGStateCheckpointHook: the checkpoint holds no generator '
                                  'states; the resumed run re-seeds (mmengine\'s behaviour)')

    def before_train(self, runner) -> None:
        if self._pending is not None and getattr(runner, '_resume', False):
            set_rng_states(self._pending)
        self._pending = None
