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
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

import mmengine

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(REPO, 'tools')
CFG = osp.join(REPO, 'configs')

TEACHER_CFG = 'centerpoint/centerpoint_pillar04_second_secfpn_1xb4-cyclic-16e_synthetic-nus-3d.py'
STUDENT_CFG = 'students/bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py'
METHODS = {
    'baseline': STUDENT_CFG,
    'cmkd': 'cmkd/cmkd_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py',
    'unidistill': 'unidistill/unidistill_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py',
    'distillbev': 'distillbev/distillbev_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py',
}
CLASSES = ['car', 'truck', 'bus', 'trailer', 'construction_vehicle', 'pedestrian', 'motorcycle',
           'bicycle', 'traffic_cone', 'barrier']
METRIC_PREFIX = 'NuScenes metric/pred_instances_3d_NuScenes/'


def log(msg: str, start: float) -> None:
    print(f'[demo {time.time() - start:7.1f}s] {msg}', flush=True)


def run(cmd: List[str], log_file: str, start: float, show: tuple = ('Epoch(', 'Iter(')) -> float:
    """Run ``cmd``, tee its output to ``log_file`` and echo progress lines; return seconds."""
    t0 = time.time()
    log(' '.join(osp.relpath(c, REPO) if c.startswith(REPO) else c for c in cmd), start)
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    with open(log_file, 'w') as f:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        for line in proc.stdout:
            f.write(line)
            if any(key in line for key in show):
                print('    ' + line.rstrip()[-150:], flush=True)
        proc.wait()
    if proc.returncode != 0:
        tail = open(log_file).read()[-4000:]
        raise SystemExit(f'[demo] command failed ({proc.returncode}); see {log_file}:\n{tail}')
    return time.time() - t0


def last_checkpoint(work_dir: str) -> Optional[str]:
    path = osp.join(work_dir, 'last_checkpoint')
    if osp.exists(path):
        ckpt = open(path).read().strip()
        if osp.exists(ckpt):
            return ckpt
    return None


def train(name: str, cfg: str, work_dir: str, epochs: Optional[int], start: float,
          extra: List[str]) -> Dict[str, float]:
    """Train ``cfg`` unless ``work_dir`` holds its final checkpoint; return timing info.

    ``epochs`` shortens the students' step schedule (LinearLR warm-up, then MultiStepLR with
    decays at 75 % and 92 % of the run, as their 12-epoch configs); None keeps the config's.
    """
    done = osp.join(work_dir, 'train_done.json')
    if osp.exists(done):
        log(f'{name}: trained already ({osp.relpath(work_dir, REPO)})', start)
        return json.load(open(done))
    schedule = []
    if epochs is not None:
        milestones = sorted({max(1, round(0.75 * epochs)), max(1, round(0.92 * epochs))})
        schedule = [f'train_cfg.max_epochs={epochs}', f'param_scheduler.1.end={epochs}',
                    f'param_scheduler.1.milestones={milestones}'.replace(' ', '')]
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
            osp.join(work_dir, 'test.log'), start, show=('mAP', 'NDS'))
    return json.load(open(out))


def summarise(metrics: Dict[str, float]) -> Dict[str, float]:
    row = dict(mAP=metrics.get(METRIC_PREFIX + 'mAP', float('nan')),
               NDS=metrics.get(METRIC_PREFIX + 'NDS', float('nan')))
    for cls in CLASSES:
        aps = [metrics[k] for k in metrics
               if k.startswith(f'{METRIC_PREFIX}{cls}_AP_dist_')]
        row[cls] = sum(aps) / len(aps) if aps else float('nan')
    return row


def table(rows: Dict[str, Dict[str, float]]) -> str:
    cols = ['mAP', 'NDS'] + CLASSES + ['train s']
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

    rows: Dict[str, Dict[str, float]] = {}
    # 2. teacher
    teacher_dir = osp.join(work, 'teacher')
    t_info = train('teacher', TEACHER_CFG, teacher_dir, None, start, train_data)
    t_metrics = evaluate('teacher', TEACHER_CFG, t_info['checkpoint'], teacher_dir, start,
                         test_data)
    rows['LiDAR teacher (CenterPoint-pillar)'] = dict(summarise(t_metrics),
                                                      **{'train s': t_info['train_seconds']})

    # 3-4. students
    for method in args.methods:
        cfg = METHODS[method]
        mdir = osp.join(work, method)
        extra = list(train_data)
        if method != 'baseline':
            extra.append(f"model.teacher_ckpt={t_info['checkpoint']}")
        info = train(method, cfg, mdir, args.student_epochs, start, extra)
        ckpt = info['checkpoint']
        if method != 'baseline':
            plain = osp.join(mdir, 'student_exported.pth')
            if not osp.exists(plain):
                run([sys.executable, osp.join(TOOLS, 'export_student.py'), ckpt, plain],
                    osp.join(mdir, 'export.log'), start)
            ckpt = plain
        metrics = evaluate(method, STUDENT_CFG, ckpt, mdir, start, test_data)
        label = 'BEVDet-R18 (no KD)' if method == 'baseline' else f'BEVDet-R18 + {method}'
        rows[label] = dict(summarise(metrics), **{'train s': info['train_seconds']})

    sizes = {split: len(mmengine.load(osp.join(data, f'nuscenes_infos_{split}.pkl'))['data_list'])
             for split in ('train', 'val')}
    text = (f'Generated nuScenes-layout set {osp.relpath(data, REPO)}: {sizes["train"]} train / '
            f'{sizes["val"]} val samples. Teacher: {osp.basename(TEACHER_CFG)}. Students: '
            f'{args.student_epochs} epochs each, seed 0, same schedule; KD students exported with '
            f'tools/export_student.py and evaluated with the plain student config. Stock '
            f'NuScenesMetric (per-class AP averaged over the 0.5/1/2/4 m thresholds). '
            f'Wall time of this run: {time.time() - start:.0f} s.\n\n' + table(rows))
    print('\n' + text + '\n', flush=True)
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(text + '\n')
    json.dump(rows, open(osp.join(work, 'results.json'), 'w'), indent=2)
    log(f'done; table in {osp.relpath(osp.join(work, "results.md"), REPO)}', start)


if __name__ == '__main__':
    main()
