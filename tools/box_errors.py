# Copyright (c) distillbev contributors. All rights reserved.
"""How a detector's boxes are wrong, per class: recall within a centre radius, and the signed
centre, size and yaw errors of the matched boxes (detection minus ground truth, in the LiDAR
frame's axes; a monocular student's camera boxes are turned into them).

    python tools/box_errors.py CONFIG CHECKPOINT [--split val|test] [--radius 2.0]
        [--score-thr 0.3] [--max-samples N] [--out FILE.json] [--cfg-options k=v ...]

It reads the config's ``<split>_dataloader`` (``test``: the held-out split of the benchmark
configs), runs ``model.test_step`` on each batch and matches each ground-truth box to a
detection of its class by BEV centre distance (``distillbev.evaluation.functional.box_errors``).
It prints a markdown table; ``--out`` also writes the numbers as JSON. Use it beside the stock
metric when a class's AP falls at the strict IoU but not at the loose one.
"""
import argparse
import json

import torch
from mmengine.config import DictAction

import distillbev  # noqa: F401  (registers the modules)
from distillbev.evaluation.functional.box_errors import (ERROR_FIELDS, box_error_stats,
                                                         boxes_in_lidar_axes)
from distillbev.utils.runner_cli import load_model


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Per-class centre, size and yaw errors')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--split', choices=['val', 'test'], default='test')
    p.add_argument('--radius', type=float, default=2.0, help='matching radius, metres')
    p.add_argument('--score-thr', type=float, default=0.3)
    p.add_argument('--max-samples', type=int, default=None)
    p.add_argument('--out', default=None, help='JSON file of the statistics')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args()


def collect(model, loader, max_samples=None) -> list:
    """Predictions and ground truth of ``loader``'s frames as ``box_error_stats`` frames."""
    frames = []
    with torch.no_grad():
        for batch in loader:
            for out in model.test_step(batch):
                pred, ann = out.pred_instances_3d, out.eval_ann_info
                if ann is None:
                    raise ValueError('the dataloader gives no eval_ann_info: box_errors needs a '
                                     'split with labels (val, or the benchmark test split)')
                frames.append(dict(
                    pred_boxes=boxes_in_lidar_axes(pred.bboxes_3d),
                    pred_scores=pred.scores_3d.cpu().numpy(),
                    pred_labels=pred.labels_3d.cpu().numpy(),
                    gt_boxes=boxes_in_lidar_axes(ann['gt_bboxes_3d']),
                    gt_labels=ann['gt_labels_3d']))
                if max_samples and len(frames) >= max_samples:
                    return frames
    return frames


def markdown(stats: dict) -> str:
    cols = ['num_gt', 'recall'] + [f'{f}_bias' for f, _ in ERROR_FIELDS] + \
        [f'{f}_mae' for f, _ in ERROR_FIELDS[:3]] + ['yaw_mae', 'axis_mae']
    lines = ['| class | ' + ' | '.join(cols) + ' |', '|---' * (len(cols) + 1) + '|']
    for name, row in stats.items():
        lines.append(f'| {name} | ' + ' | '.join(
            str(row[c]) if c == 'num_gt' else f'{row[c]:.3f}' for c in cols) + ' |')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    cfg, model = load_model(args.config, args.checkpoint, args.cfg_options)
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(cfg[f'{args.split}_dataloader'])
    classes = loader.dataset.metainfo['classes']
    frames = collect(model, loader, args.max_samples)
    stats = box_error_stats(frames, classes, args.radius, args.score_thr)
    print(f'{len(frames)} frames of the {args.split} split; radius {args.radius} m, '
          f'score >= {args.score_thr}; bias = detection minus ground truth (m, LiDAR frame)')
    print(markdown(stats))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint, split=args.split,
                           radius=args.radius, score_thr=args.score_thr, frames=len(frames),
                           stats=stats), f, indent=1)


if __name__ == '__main__':
    main()
