# Copyright (c) distillbev contributors. All rights reserved.
"""The command line shared by tools/train.py and tools/test.py."""
import argparse
import os.path as osp

from distillbev.utils.runner_cli import add_runner_args, load_runner_config, parse_runner_args


def _parser():
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    return add_runner_args(parser, 'work dir', 'a=1')


def test_work_dir_default_cfg_options_and_launcher(tmp_path):
    cfg_file = tmp_path / 'my_cfg.py'
    cfg_file.write_text('train_cfg = dict(max_epochs=3)\n')
    args = parse_runner_args(_parser(), [str(cfg_file), '--cfg-options',
                                         'train_cfg.max_epochs=1', '--launcher', 'pytorch'])
    cfg = load_runner_config(args)
    assert cfg.train_cfg.max_epochs == 1 and cfg.launcher == 'pytorch'
    assert cfg.work_dir == osp.join('./work_dirs', 'my_cfg')
    args = parse_runner_args(_parser(), [str(cfg_file), '--work-dir', str(tmp_path / 'w')])
    assert load_runner_config(args).work_dir == str(tmp_path / 'w')
