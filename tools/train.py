# Copyright (c) distillbev contributors. All rights reserved.
"""Train a detector (student, teacher or distiller) with the stock mmengine Runner.

Same command line as mmdet3d's ``tools/train.py``::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
        [--sync_bn {none,torch,mmcv}] [--cfg-options k=v ...] [--launcher {none,pytorch,...}]
"""
import argparse
import logging

from mmengine.config import Config
from mmengine.logging import print_log

import distillbev  # noqa: F401  (checks the stack, patches checkpointing, registers modules)
from distillbev.models.distillers.pipeline_check import check_distill_pipeline
from distillbev.utils.runner_cli import (add_runner_args, build_runner, load_runner_config,
                                         parse_runner_args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a 3D detector with distillbev')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--sync_bn', choices=['none', 'torch', 'mmcv'], default='none',
                        help='convert BatchNorm layers to SyncBatchNorm')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the LR by (GPUs x batch) / auto_scale_lr.base_batch_size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work dir '
                        'when no path is given')
    add_runner_args(parser, 'directory for logs and checkpoints', 'train_cfg.max_epochs=2')
    return parse_runner_args(parser)


def build_config(args: argparse.Namespace) -> Config:
    """Merge the command line into the config (work dir, AMP, resume, LR scaling, SyncBN)."""
    cfg = load_runner_config(args)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.', logger='current',
                      level=logging.WARNING)
        else:
            if wrapper != 'OptimWrapper':
                raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError('--auto-scale-lr needs `auto_scale_lr = dict(enable=False, '
                               'base_batch_size=...)` in the config.')
        cfg.auto_scale_lr.enable = True
    if args.sync_bn != 'none':
        cfg.sync_bn = args.sync_bn
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def main() -> None:
    cfg = build_config(parse_args())
    check_distill_pipeline(cfg)  # distillation configs: can the pipeline feed the distiller?
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
