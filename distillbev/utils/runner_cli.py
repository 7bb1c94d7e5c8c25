# Copyright (c) distillbev contributors. All rights reserved.
"""Command-line handling shared by ``tools/train.py`` and ``tools/test.py`` (mmdet3d's CLI)."""
import argparse
import os
import os.path as osp
import sys
from typing import Optional, Sequence

from mmengine.config import Config, DictAction


def add_runner_args(parser: argparse.ArgumentParser, work_dir_help: str,
                    cfg_options_example: str) -> argparse.ArgumentParser:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local_rank``.

    Args:
        parser (ArgumentParser): the tool's parser (its positional arguments already added).
        work_dir_help (str): help of ``--work-dir``.
        cfg_options_example (str): a ``key=value`` shown in the help of ``--cfg-options``.

    Returns:
        ArgumentParser: ``parser``.
    """
    parser.add_argument('--work-dir', help=work_dir_help)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=f'override config entries, e.g. {cfg_options_example}')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def parse_runner_args(parser: argparse.ArgumentParser,
                      argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse, and export ``LOCAL_RANK`` for the launcher unless it is set already."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_runner_config(args: argparse.Namespace) -> Config:
    """``args.config`` with the launcher, the ``--cfg-options`` and the work directory.

    The work directory is ``--work-dir``, else the config's ``work_dir``, else
    ``./work_dirs/<config name>`` (as mmdet3d's tools).
    """
    # run from the repository root, ``custom_imports`` of ``projects.<Name>.<package>`` resolve
    # (mmdet3d's projects/ convention; the editable install maps only the distillbev package)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_runner(cfg: Config):
    """The stock ``Runner``, or the config's ``runner_type`` from mmengine's registry."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)


def load_model(config: str, checkpoint: str, cfg_options: Optional[dict] = None):
    """``(cfg, model)``: a config (with ``--cfg-options``) and its model with ``checkpoint``
    loaded on the CPU, in eval mode (the inspection tools: ``visualize.py``,
    ``kd_feature_quality.py``)."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    from mmdet3d.registry import MODELS
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu')
    return cfg, model.eval()
