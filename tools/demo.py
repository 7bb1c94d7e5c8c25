# Copyright (c) distillbev contributors. All rights reserved.
"""The distillbev demo: LiDAR -> camera distillation end to end on a generated nuScenes-layout
dataset, with the stock runner, converter and metric.

Stages (each skipped when its output already exists, so a rerun resumes):

1. generate the dataset (``tools/create_synthetic.py``) and convert it with mmdet3d's stock
   converter (``tools/create_data.py``);
2. train the CenterPoint-pillar LiDAR teacher (``tools/train.py``) and evaluate it;
3. train the camera student without KD and with each KD method (CMKD, UniDistill, DistillBEV)
   on the same schedule and seed;
4. export each distilled student to a plain student checkpoint (``tools/export_student.py``) and
   evaluate it with the student's own config and the stock ``NuScenesMetric``;
5. print and save the table (``<work-dir>/results.md`` and ``results.json``).

Usage::

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root data/synthetic-nus]
        [--student-epochs N] [--methods baseline cmkd unidistill distillbev]
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence

import mmengine

from distillbev.utils.progress import run_stage, stage_name
from distillbev.utils.work_dir import last_checkpoint

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(REPO, 'tools')
CFG = osp.join(REPO, 'configs')

# The stages: (name, config under configs/). 'baseline' is the student without KD: it gives the
# student config every other student is evaluated with, its class names and its schedule; the
# KD configs give the teacher config (their ``model.teacher``).
STAGES = [
    ('baseline', 'students/bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py'),
    ('cmkd', 'cmkd/cmkd_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py'),
    ('unidistill',
     'unidistill/unidistill_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py'),
    ('distillbev',
     'distillbev/distillbev_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py'),
]
METHODS = dict(STAGES)
TEACHER_LABEL = 'LiDAR teacher (CenterPoint-pillar)'
METRIC_PREFIX = 'NuScenes metric/pred_instances_3d_NuScenes/'


def load_config(cfg: str) -> mmengine.Config:
    """A config under ``configs/`` (or an absolute path), without importing its modules."""
    return mmengine.Config.fromfile(osp.join(CFG, cfg), import_custom_modules=False)


def teacher_config() -> str:
    """The teacher config of the KD stages (``model.teacher``; they must agree)."""
    teachers = {osp.normpath(load_config(cfg).model.teacher)
                for name, cfg in STAGES if name != 'baseline'}
    if len(teachers) != 1:
        raise SystemExit(f'[demo] the KD configs name different teachers: {sorted(teachers)}')
    return teachers.pop()


def student_label(cfg: mmengine.Config) -> str:
    """``<detector>-R<depth>`` of a student config, e.g. ``BEVDet-R18``."""
    return f'{cfg.model.type}-R{cfg.model.img_backbone.depth}'


def schedule_options(cfg: mmengine.Config, epochs: int) -> List[str]:
    """``--cfg-options`` that fit the config's epoch-based schedule to ``epochs`` epochs.

    ``train_cfg.max_epochs``; every epoch-based ``param_scheduler`` entry (found by its fields,
    not its position) ends at ``epochs`` and has its milestones scaled by
    ``epochs / max_epochs`` (rounded, at least 1). Iteration-based entries (warm-up) stay.
    """
    max_epochs = cfg.train_cfg.max_epochs
    opts = [f'train_cfg.max_epochs={epochs}']
    schedulers = cfg.param_scheduler
    schedulers = schedulers if isinstance(schedulers, (list, tuple)) else [schedulers]
    for i, sched in enumerate(schedulers):
        if not sched.get('by_epoch', True):
            continue
        if 'end' in sched:
            opts.append(f'param_scheduler.{i}.end={epochs}')
        if 'milestones' in sched:
            milestones = sorted({max(1, round(m * epochs / max_epochs))
                                 for m in sched.milestones})
            opts.append(f'param_scheduler.{i}.milestones={milestones}'.replace(' ', ''))
    return opts


def log(msg: str, start: float) -> None:
    print(f'[demo {time.time() - start:7.1f}s] {msg}', flush=True)


def run(cmd: List[str], log_file: str, start: float) -> float:
    """Run ``cmd`` with a live progress line; keep its output in ``log_file``; return seconds."""
    t0 = time.time()
    log(' '.join(osp.relpath(c, REPO) if c.startswith(REPO) else c for c in cmd), start)
    code = run_stage(stage_name(cmd, REPO), cmd, log_file, REPO,
                     emit=lambda msg: f'[demo {time.time() - start:7.1f}s] {msg}')
    if code != 0:
        tail = open(log_file).read()[-4000:]
        raise SystemExit(f'[demo] command failed ({code}); see {log_file}:\n{tail}')
    return time.time() - t0


def train(name: str, cfg: str, work_dir: str, epochs: Optional[int], start: float,
          extra: List[str]) -> Dict[str, float]:
    """Train ``cfg`` unless ``work_dir`` holds its final checkpoint; return timing info.

    ``epochs`` shortens the config's epoch-based schedule (:func:`schedule_options`); None
    keeps it.
    """
    done = osp.join(work_dir, 'train_done.json')
    if osp.exists(done):
        log(f'{name}: trained already ({osp.relpath(work_dir, REPO)})', start)
        return json.load(open(done))
    schedule = [] if epochs is None else schedule_options(load_config(cfg), epochs)
    log(f'{name}: training ({epochs or "config"} epochs)', start)
    # no validation during training: every model is evaluated once, by tools/test.py, below
    cmd = [sys.executable, osp.join(TOOLS, 'train.py'), osp.join(CFG, cfg), '--work-dir', work_dir,
           '--cfg-options', 'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
           'randomness.seed=0'] + schedule + extra
    if last_checkpoint(work_dir):
        cmd.append('--resume')
    seconds = run(cmd, osp.join(work_dir, 'train.log'), start)
    info = dict(train_seconds=seconds, checkpoint=last_checkpoint(work_dir))
    json.dump(info, open(done, 'w'))
    return info


def evaluate(name: str, cfg: str, ckpt: str, work_dir: str, start: float,
             extra: List[str]) -> Dict[str, float]:
    out = osp.join(work_dir, 'metrics.json')
    if not osp.exists(out):
        log(f'{name}: evaluating {ckpt}', start)
        run([sys.executable, osp.join(TOOLS, 'test.py'), osp.join(CFG, cfg), ckpt, '--work-dir',
             osp.join(work_dir, 'test'), '--out-metrics', out, '--cfg-options'] + extra,
            osp.join(work_dir, 'test.log'), start)
    return json.load(open(out))


def summarise(metrics: Dict[str, float], classes: Sequence[str]) -> Dict[str, float]:
    """mAP, NDS and the per-class AP (mean over the distance thresholds) of a metrics dict."""
    row = dict(mAP=metrics.get(METRIC_PREFIX + 'mAP', float('nan')),
               NDS=metrics.get(METRIC_PREFIX + 'NDS', float('nan')))
    for cls in classes:
        aps = [metrics[k] for k in metrics
               if k.startswith(f'{METRIC_PREFIX}{cls}_AP_dist_')]
        row[cls] = sum(aps) / len(aps) if aps else float('nan')
    return row


def table(rows: Dict[str, Dict[str, float]], classes: Sequence[str]) -> str:
    """Markdown table: one row per model, mAP, NDS, per-class AP and training seconds."""
    cols = ['mAP', 'NDS'] + list(classes) + ['train s']
    lines = ['| model | ' + ' | '.join(cols) + ' |', '|' + '---|' * (len(cols) + 1)]
    for name, row in rows.items():
        vals = [f'{row[c]:.3f}' for c in cols[:-1]] + [f"{row.get('train s', 0):.0f}"]
        lines.append(f'| {name} | ' + ' | '.join(vals) + ' |')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description='distillbev demo on the generated nuScenes layout')
    p.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'demo'))
    p.add_argument('--data-root', default=osp.join(REPO, 'data', 'synthetic-nus'))
    p.add_argument('--scenes', type=int, default=10)
    p.add_argument('--samples', type=int, default=10)
    p.add_argument('--student-epochs', type=int, default=4,
                   help='epochs of every student run (same schedule and seed for all)')
    p.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    return p.parse_args()


def main() -> None:
    args = parse_args()
    start = time.time()
    work, data = osp.abspath(args.work_dir), osp.abspath(args.data_root)
    train_data = [f'train_dataloader.dataset.data_root={data}/']
    test_data = [f'test_dataloader.dataset.data_root={data}/', f'test_evaluator.data_root={data}/',
                 f'test_evaluator.ann_file={data}/nuscenes_infos_val.pkl']

    # 1. data
    if not osp.exists(osp.join(data, 'nuscenes_infos_val.pkl')):
        log(f'generating {args.scenes} scenes x {args.samples} samples into {data}', start)
        run([sys.executable, osp.join(TOOLS, 'create_synthetic.py'), 'nuscenes', '--out', data,
             '--scenes', str(args.scenes), '--samples', str(args.samples)],
            osp.join(work, 'logs', 'create_synthetic.log'), start)
        run([sys.executable, osp.join(TOOLS, 'create_data.py'), 'nuscenes', '--root-path', data,
             '--out-dir', data, '--extra-tag', 'nuscenes', '--skip-gt-database'],
            osp.join(work, 'logs', 'create_data.log'), start)
    else:
        log(f'dataset ready in {osp.relpath(data, REPO)}', start)

    student_cfg = METHODS['baseline']
    student = load_config(student_cfg)
    classes, label = list(student.class_names), student_label(student)
    teacher_cfg = teacher_config()
    rows: Dict[str, Dict[str, float]] = {}
    # 2. teacher
    teacher_dir = osp.join(work, 'teacher')
    t_info = train('teacher', teacher_cfg, teacher_dir, None, start, train_data)
    t_metrics = evaluate('teacher', teacher_cfg, t_info['checkpoint'], teacher_dir, start,
                         test_data)
    rows[TEACHER_LABEL] = dict(summarise(t_metrics, classes),
                               **{'train s': t_info['train_seconds']})

    # 3-4. students
    for method in args.methods:
        mdir = osp.join(work, method)
        extra = list(train_data)
        if method != 'baseline':
            extra.append(f"model.teacher_ckpt={t_info['checkpoint']}")
        info = train(method, METHODS[method], mdir, args.student_epochs, start, extra)
        ckpt = info['checkpoint']
        if method != 'baseline':
            plain = osp.join(mdir, 'student_exported.pth')
            if not osp.exists(plain):
                run([sys.executable, osp.join(TOOLS, 'export_student.py'), ckpt, plain],
                    osp.join(mdir, 'export.log'), start)
            ckpt = plain
        metrics = evaluate(method, student_cfg, ckpt, mdir, start, test_data)
        name = f'{label} (no KD)' if method == 'baseline' else f'{label} + {method}'
        rows[name] = dict(summarise(metrics, classes), **{'train s': info['train_seconds']})

    sizes = {split: len(mmengine.load(osp.join(data, f'nuscenes_infos_{split}.pkl'))['data_list'])
             for split in ('train', 'val')}
    text = (f'Generated nuScenes-layout set {osp.relpath(data, REPO)}: {sizes["train"]} train / '
            f'{sizes["val"]} val samples. Teacher: {osp.basename(teacher_cfg)}. Students: '
            f'{args.student_epochs} epochs each, seed 0, same schedule; KD students exported with '
            f'tools/export_student.py and evaluated with the plain student config. Stock '
            f'NuScenesMetric (per-class AP averaged over the 0.5/1/2/4 m thresholds). '
            f'Wall time of this run: {time.time() - start:.0f} s.\n\n' + table(rows, classes))
    print('\n' + text + '\n', flush=True)
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(text + '\n')
    json.dump(rows, open(osp.join(work, 'results.json'), 'w'), indent=2)
    log(f'done; table in {osp.relpath(osp.join(work, "results.md"), REPO)}', start)


if __name__ == '__main__':
    main()
