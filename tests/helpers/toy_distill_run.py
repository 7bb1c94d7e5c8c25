# Copyright (c) distillbev contributors. All rights reserved.
"""A tiny distillation run with the stock Runner, for the reliability tests (a subprocess, so it
can be SIGKILLed).

The tiny CenterPoint-pillar teacher/student of ``distill_tiny_models`` on 4 scenes whose points
get a random jitter and a random flip on every load (NumPy's global generator, as a pipeline's
augmentations with ``num_workers=0``), shuffled, epoch-based, a checkpoint every epoch. Every
iteration appends ``{"iter", "loss"}`` to ``<work>/losses.jsonl`` (flushed and fsynced).

    python tests/helpers/toy_distill_run.py WORK --epochs 3 [--resume] [--kill-at-iter N]
        [--kill-in-save-at-epoch E] [--no-rng-hook]
"""
import argparse
import json
import os
import os.path as osp
import signal
import sys

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.join(HERE, '..', 'test_models', 'test_distillers'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from distill_tiny_models import batch, distiller_cfg  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.registry import DATASETS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


@DATASETS.register_module(force=True)
class _JitterToyDataset(torch.utils.data.Dataset):
    """Four scenes; each load jitters the points and flips them in y with probability 0.5."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> dict:
        b = batch((i, ))
        pts = b['inputs']['points'][0].clone()
        pts[:, :3] += torch.from_numpy(np.random.normal(0, 0.05, (len(pts), 3)).astype('f4'))
        if np.random.rand() < 0.5:
            pts[:, 1] = -pts[:, 1]
            b['data_samples'][0].gt_instances_3d.bboxes_3d.flip('horizontal')
        return dict(inputs=dict(points=pts), data_samples=b['data_samples'][0])


class _LossLog(Hook):
    priority = 'VERY_LOW'

    def __init__(self, path: str, kill_at_iter: int) -> None:
        self.path, self.kill_at_iter = path, kill_at_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        with open(self.path, 'a') as f:
            f.write(json.dumps(dict(iter=runner.iter + 1, loss=outputs['loss'].item())) + '\n')
            f.flush()
            os.fsync(f.fileno())
        if runner.iter + 1 == self.kill_at_iter:
            os.kill(os.getpid(), signal.SIGKILL)


def kill_while_saving(epoch: int) -> None:
    """SIGKILL this process half-way through writing the checkpoint of ``epoch``."""
    real_save = torch.save

    def save(obj, f, *args, **kwargs):
        if isinstance(obj, dict) and obj.get('meta', {}).get('epoch') == epoch:
            f.write(b'\x80\x02half a checkpoint')
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real_save(obj, f, *args, **kwargs)

    torch.save = save


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('work')
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--kill-at-iter', type=int, default=-1)
    p.add_argument('--kill-in-save-at-epoch', type=int, default=-1)
    p.add_argument('--no-rng-hook', action='store_true')
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.kill_in_save_at_epoch > 0:
        kill_while_saving(args.kill_in_save_at_epoch)
    hooks = [] if args.no_rng_hook else [dict(type='RNGStateCheckpointHook')]
    runner = Runner(
        model=distiller_cfg(),
        work_dir=args.work,
        train_dataloader=dict(dataset=dict(type='_JitterToyDataset'), batch_size=2,
                              num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=args.epochs),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=hooks,
        randomness=dict(seed=0, deterministic=False),
        default_scope='mmdet3d', resume=args.resume, load_from=None,
        env_cfg=dict(dist_cfg=dict(backend='gloo')), log_level='WARNING')
    runner.register_hook(_LossLog(osp.join(args.work, 'losses.jsonl'), args.kill_at_iter))
    runner.train()


if __name__ == '__main__':
    main()
