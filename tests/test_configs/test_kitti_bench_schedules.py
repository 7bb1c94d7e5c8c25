# Copyright (c) distillbev contributors. All rights reserved.
"""The KITTI CPU regime's 45-minute configs run the 15-minute schedule stretched 3x: the same
learning rate at iteration 3t as the 15-minute config at t, for every model of the regime."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim.scheduler import _ParamScheduler
from mmengine.registry import PARAM_SCHEDULERS

CONFIGS = Path(__file__).parents[2] / 'configs'
PAIRS = [
    'students/monodle_dla34_dlaneck_{}_synthetic-kitti-bench-mono3d.py',
    'students/monodle-depth_dla34_dlaneck_{}_synthetic-kitti-bench-mono3d.py',
    'monodistill/monodistill_monodle-dla34_monodle-depth-dla34_{}_synthetic-kitti-bench-mono3d.py',
    'monommkd/monommkd_monodle-dla34_monodle-depth-dla34_{}_synthetic-kitti-bench-mono3d.py',
]


def _lr_curve(cfg: Config):
    lr = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    schedulers = []
    for s in cfg.param_scheduler:
        s = dict(s)
        s['optimizer'] = optimizer
        schedulers.append(PARAM_SCHEDULERS.build(s))
    assert all(isinstance(s, _ParamScheduler) for s in schedulers)
    curve = []
    for _ in range(cfg.train_cfg.max_iters):
        curve.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for s in schedulers:
            s.step()
    return lr, curve


@pytest.mark.parametrize('pattern', PAIRS, ids=lambda p: p.split('/')[0])
def test_45min_schedule_is_the_15min_one_stretched_3x(pattern):
    short = Config.fromfile(str(CONFIGS / pattern.format('1xb4-15min')))
    long = Config.fromfile(str(CONFIGS / pattern.format('1xb4-45min')))
    assert (short.train_cfg.max_iters, long.train_cfg.max_iters) == (300, 900)
    assert long.default_hooks.checkpoint.interval == 300
    lr, s_curve = _lr_curve(short)
    lr_long, l_curve = _lr_curve(long)
    assert lr == lr_long == pytest.approx(1.25e-3)
    assert l_curve[0] == pytest.approx(lr * 1e-2) and max(l_curve) <= lr * (1 + 1e-6)
    # warm-up end, the cosine's half-way and its floor at 3x the iteration (mmengine updates
    # the lr recursively: the curves agree to ~1e-5, not bit for bit)
    for t in (30, 150, 299):
        assert l_curve[3 * t] == pytest.approx(s_curve[t], rel=1e-4), t
    assert l_curve[-1] < lr * 1e-2
