# Copyright (c) distillbev contributors. All rights reserved.
"""Why does (or doesn't) a KD method help? Train a config with :class:`KDTermProbeHook`.

For each config: train it with ``tools/train.py`` and the probe hook added (every KD and detection
term's value and the gradient norm it sends into the probed student modules, the cosine between
the detection and the KD gradients, the share of BEV cells each KD mask covers), optionally
evaluate it on the tuning (val) split, and write ``<out>.md`` with one probe table per config.
Runs resume: a finished one (``kd_probe.jsonl`` and its last checkpoint present) is only
summarised again.

Usage::

    python tools/kd_diagnose.py configs/distillbev/distillbev_bevdepth-r18_...py [...]
        [--modules img_bev_encoder_backbone img_view_transformer] [--interval 45]
        [--work-dir work_dirs/kd_diagnose] [--out docs/kd_diagnosis] [--eval-val]
        [--cfg-options key=value ...]

    # the monocular KITTI benchmark: MonoDLE's backbone and neck, KittiMetric on its val split
    python tools/kd_diagnose.py configs/monommkd/monommkd_...kitti-bench-mono3d.py \
        --dataset kitti --eval-val
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import List

from mmengine.config import Config

from distillbev.benchmarking.kd_suites import DATASETS
from distillbev.evaluation.kd_probe_summary import load_probe, probe_markdown
from distillbev.utils.work_dir import last_checkpoint

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(REPO, 'tools')
# the student modules probed when --modules is not given
DEFAULT_MODULES = dict(nus=['img_backbone', 'img_view_transformer', 'img_bev_encoder_backbone'],
                       kitti=['backbone', 'neck'],
                       kitti_bev=['img_backbone', 'img_view_transformer', 'backbone'])


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Per-term KD loss and gradient probe')
    p.add_argument('configs', nargs='+', help='training configs (distillers or students)')
    p.add_argument('--dataset', choices=sorted(DATASETS), default='nus',
                   help='the benchmark whose val split --eval-val uses (and default modules)')
    p.add_argument('--modules', nargs='+', default=None,
                   help='student modules whose incoming gradient norms are probed (default: '
                   + '; '.join(f'{k}: {" ".join(v)}' for k, v in DEFAULT_MODULES.items()) + ')')
    p.add_argument('--interval', type=int, default=45, help='probe every N iterations')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'kd_diagnose'))
    p.add_argument('--out', default=osp.join(REPO, 'docs', 'kd_diagnosis'),
                   help='markdown path without extension')
    p.add_argument('--eval-val', action='store_true',
                   help='also evaluate on the benchmark\'s val split (the tuning split)')
    p.add_argument('--cfg-options', nargs='*', default=[], help='key=value overrides')
    args = p.parse_args(argv)
    if args.modules is None:
        args.modules = DEFAULT_MODULES[args.dataset]
    return args


def _run(cmd: List[str], log_file: str) -> None:
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    with open(log_file, 'w') as f:
        proc = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT,
                              env=dict(os.environ, PYTHONUNBUFFERED='1'))
    if proc.returncode != 0:
        raise SystemExit(f'[kd_diagnose] failed ({proc.returncode}), see {log_file}:\n' +
                         open(log_file).read()[-3000:])


def val_options(dataset: str) -> List[str]:
    """``--cfg-options`` that point a config's test split at its benchmark's val split."""
    ds = DATASETS[dataset]
    root = Config.fromfile(osp.join(REPO, ds.data_cfg))[ds.keys + 'data_root']
    opts = [f'test_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.ann_file={ds.name}_infos_val.pkl',
            f'test_evaluator.ann_file={root}{ds.name}_infos_val.pkl']
    if dataset == 'nus':  # KittiMetric has no data_root
        opts.append(f'test_evaluator.data_root={root}')
    return opts


def val_summary(metrics: dict, dataset: str) -> str:
    """The headline metrics of the stock metric's flat dict, as one line."""
    if dataset == 'nus':
        found = {k.rsplit('/', 1)[-1]: v for k, v in metrics.items()
                 if k.endswith('/mAP') or k.endswith('/NDS')}
        return ', '.join(f'{k} {v:.3f}' for k, v in found.items())
    ds = DATASETS[dataset]
    classes = Config.fromfile(osp.join(REPO, ds.classes[0]))[ds.classes[1]]
    found = ds.run_metrics(metrics, classes)
    return ', '.join(f'{ds.titles.get(k, k)} {found[k]:.2f}' for k in ds.metrics)


def diagnose(cfg_path: str, args) -> str:
    """Train (or resume) one config with the probe; return its markdown section."""
    name = osp.splitext(osp.basename(cfg_path))[0]
    wd = osp.join(args.work_dir, name)
    probe_file = osp.join(wd, 'kd_probe.jsonl')
    done = osp.join(wd, 'train_done.json')
    if not osp.exists(done):
        cfg = Config.fromfile(cfg_path)
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [dict(
            type='KDTermProbeHook', modules=args.modules, interval=args.interval)]
        os.makedirs(wd, exist_ok=True)
        probe_cfg = osp.join(wd, 'probe_' + osp.basename(cfg_path))
        cfg.dump(probe_cfg)
        resume = last_checkpoint(wd) is not None
        if not resume and osp.exists(probe_file):
            os.remove(probe_file)  # a run restarted from scratch probes again
        _run([sys.executable, osp.join(TOOLS, 'train.py'), probe_cfg, '--work-dir', wd,
              '--cfg-options', 'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
              f'randomness.seed={args.seed}'] + args.cfg_options + (['--resume'] if resume else []),
             osp.join(wd, 'train.log'))
        with open(done, 'w') as f:
            json.dump(dict(checkpoint=last_checkpoint(wd), config=probe_cfg), f)
    info = json.load(open(done))
    section = f'### `{name}`\n\n'
    if args.eval_val:
        out = osp.join(wd, 'metrics_val.json')
        if not osp.exists(out):
            _run([sys.executable, osp.join(TOOLS, 'test.py'), info['config'],
                  info['checkpoint'], '--work-dir', osp.join(wd, 'test_val'), '--out-metrics',
                  out, '--cfg-options'] + val_options(args.dataset),
                 osp.join(wd, 'test_val.log'))
        section += 'Val split: ' + val_summary(json.load(open(out)), args.dataset) + '\n\n'
    records = load_probe(probe_file)
    for module in args.modules:
        section += probe_markdown(records, module) + '\n'
    return section


def main(argv=None) -> None:
    args = parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    sections = [diagnose(osp.abspath(c), args) for c in args.configs]
    text = ('# KD diagnosis: per-term losses and gradients\n\nWritten by `python '
            'tools/kd_diagnose.py ' + ' '.join(sys.argv[1:]) + '`. Each cell: the weighted '
            'loss value the optimiser sees / the L2 norm of the gradient it sends into the '
            'module. Seed ' + str(args.seed) + '.\n\n' + '\n'.join(sections))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out + '.md', 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
