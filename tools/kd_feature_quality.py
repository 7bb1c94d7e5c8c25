# Copyright (c) distillbev contributors. All rights reserved.
"""Feature quality of a distiller's tapped levels: how well the teacher's and the student's BEV
maps separate ground-truth object cells from the rest (ROC AUC of the channel-mean |f|, see
:mod:`distillbev.evaluation.feature_quality`), averaged over training samples as the losses see
them (the training pipeline's augmentation).

    python tools/kd_feature_quality.py CONFIG CHECKPOINT [--samples 0 1 2 ...] [--out FILE.md]
"""
import argparse
import os.path as osp
from collections import defaultdict

import numpy as np
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate

import distillbev  # noqa: F401
from distillbev.evaluation.feature_quality import feature_fg_auc
from distillbev.structures.bev_grid import BEVGrid
from distillbev.utils.runner_cli import load_model


def levels(value):
    """The 4-D maps of a tap value (a tensor or a list of levels)."""
    import torch
    items = [value] if isinstance(value, torch.Tensor) else list(value)
    return [v for v in items if isinstance(v, torch.Tensor) and v.dim() == 4]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--samples', type=int, nargs='+', default=list(range(8)))
    p.add_argument('--out', help='also write the table to this markdown file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args()
    cfg, model = load_model(args.config, args.checkpoint, args.cfg_options)
    from mmdet3d.registry import DATASETS
    grid = BEVGrid.from_detector(model.student)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    aucs = defaultdict(list)
    for i in args.samples:
        data = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
        spaces = model.distillation_inputs(data['inputs'], data['data_samples'])
        boxes = data['data_samples'][0].gt_instances_3d.bboxes_3d
        for side in ('teacher', 'student'):
            for name, value in spaces[side].items():
                for lvl, feat in enumerate(levels(value)):
                    auc = feature_fg_auc(feat[0], boxes, grid)
                    if auc is not None:
                        aucs[(name, lvl, side)].append(auc)
    names = sorted({(n, lvl) for n, lvl, _ in aucs})
    lines = [f'Feature quality: ROC AUC of the channel-mean |f| for GT-box cells vs the rest, '
             f'mean over {len(args.samples)} training samples (`{osp.basename(args.config)}`, '
             f'`{args.checkpoint}`). 1.0: every object cell brighter than every background '
             f'cell; 0.5: blind to the objects. The student column is after its adapter.', '',
             '| tap | level | teacher AUC | student AUC |', '|---|---|---|---|']
    for name, lvl in names:
        t, s = aucs.get((name, lvl, 'teacher')), aucs.get((name, lvl, 'student'))
        lines.append(f'| {name} | {lvl} | ' + ' | '.join(
            f'{np.mean(v):.3f}' if v else '-' for v in (t, s)) + ' |')
    text = '\n'.join(lines)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')


if __name__ == '__main__':
    main()
