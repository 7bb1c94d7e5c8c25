# Copyright (c) distillbev contributors. All rights reserved.
"""Evaluate a checkpoint with the stock mmengine Runner and the config's metric.

Same command line as mmdet3d's ``tools/test.py``::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
        [--launcher {none,pytorch,...}] [--show-dir DIR] [--task ...] [--tta]
"""
import argparse
import json
import numbers
import os
import os.path as osp

from mmengine.config import ConfigDict

import distillbev  # noqa: F401  (checks the stack, patches checkpointing, registers modules)
from distillbev.utils.runner_cli import (add_runner_args, build_runner, load_runner_config,
                                         parse_runner_args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a 3D detector')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--show-dir', help='save visualisations of the predictions here')
    parser.add_argument('--task', choices=['mono_det', 'multi-view_det', 'lidar_det',
                                           'lidar_seg', 'multi-modality_det'],
                        default='lidar_det', help='visualisation task (with --show-dir)')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help='score threshold of the visualisation')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation')
    parser.add_argument('--out-metrics', help='also write the metrics as JSON to this file')
    add_runner_args(parser, 'directory for the evaluation logs and metrics',
                    'test_dataloader.batch_size=1')
    return parse_runner_args(parser)


def main() -> None:
    args = parse_args()
    cfg = load_runner_config(args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        vis = cfg.default_hooks.setdefault('visualization',
                                           ConfigDict(type='Det3DVisualizationHook'))
        vis.update(draw=True, show=False, test_out_dir=args.show_dir, vis_task=args.task,
                   score_thr=args.score_thr)
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise RuntimeError('--tta needs `tta_model` and `tta_pipeline` in the config.')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    runner = build_runner(cfg)
    metrics = runner.test()
    if args.out_metrics and runner.rank == 0:
        os.makedirs(osp.dirname(osp.abspath(args.out_metrics)), exist_ok=True)
        with open(args.out_metrics, 'w') as f:
            json.dump({k: float(v) if isinstance(v, numbers.Real) else v
                       for k, v in metrics.items()}, f, indent=2)


if __name__ == '__main__':
    main()
