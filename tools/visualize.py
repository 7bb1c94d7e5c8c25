# Copyright (c) distillbev contributors. All rights reserved.
"""Draw what a student or a distiller sees, for a few samples of a config's dataset.

    python tools/visualize.py CONFIG CHECKPOINT [--out DIR] [--split train|val|test]
        [--samples 0 5 ...] [--score-thr 0.3] [--cfg-options k=v ...]

For each sample it writes ``<out>/sample_<i>_<picture>.png``: ``features`` (teacher vs student
at each tap name they share: channel mean and a 3-channel PCA) and ``targets`` (KD target maps)
for a distiller; ``bev`` (LiDAR points, ground truth green, detections red) and ``cameras``
(the same boxes projected into every view) for any BEV detector. ``--split train`` (the default
for a distiller) draws the training pipeline's augmented sample, as the losses see it.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate

import distillbev  # noqa: F401  (registers the modules)
from distillbev.utils.runner_cli import load_model
from distillbev.visualization.render import batch_pictures, written


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Pictures of features, KD targets and detections')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out', default=None, help='default: work_dirs/vis/<config name>')
    p.add_argument('--split', choices=['train', 'val', 'test'], default=None,
                   help='dataset to draw from (default: train for a distiller, else val)')
    p.add_argument('--samples', type=int, nargs='+', default=[0])
    p.add_argument('--score-thr', type=float, default=0.3)
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args()


def main() -> None:
    args = parse_args()
    cfg, model = load_model(args.config, args.checkpoint, args.cfg_options)
    from mmdet3d.registry import DATASETS
    split = args.split or ('train' if cfg.model.get('type') == 'CrossModalDistiller' else 'val')
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    out = args.out or osp.join('work_dirs', 'vis', osp.splitext(osp.basename(args.config))[0])
    for i in args.samples:
        pictures = batch_pictures(model, pseudo_collate([dataset[i]]), out, f'sample_{i}',
                                  args.score_thr)
        for path in written(out, f'sample_{i}', pictures):
            print(path)


if __name__ == '__main__':
    main()
