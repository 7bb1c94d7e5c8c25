# Copyright (c) distillbev contributors. All rights reserved.
"""KD-gain benchmark: does a LiDAR teacher make the camera student detect better?

``--dataset nus`` (default): multi-view BEV students and a LiDAR teacher on generated
nuScenes-layout data; ``kitti``: the monocular MonoDLE student and its depth-image teacher on
generated KITTI-layout data; ``kitti_bev``: CMKD's mono-BEV student and its PointPillars teacher on
the same frames. Stages (each skipped when its output exists: an interrupted benchmark resumes,
a half-trained run from its last checkpoint):

1. data: the generated sets (``configs/_base_/datasets/synthetic-nus-bench-3d.py``,
   ``.../synthetic-kitti-bench-mono3d.py``, inherited by ``.../synthetic-kitti-bench-3d.py``):
   train/val from one world seed, the held-out test split from another, each converted by
   mmdet3d's stock converter (nus: and given the temporal infos, ``tools/add_temporal_infos.py``);
2. nus only: depth pre-training of the students' image encoder (LiDAR depth only);
3. the teacher, trained once, its last checkpoint copied where the distillation configs load it;
4. every method (the student without KD first) for every seed, on the same schedule: trained
   with ``tools/train.py``, evaluated with ``tools/test.py`` and the stock metric
   (``NuScenesMetric``; ``KittiMetric``, AP R40) on the requested splits (``test``: the held-out
   split; ``val``: the tuning split);
5. the table: mean ± std over seeds, the paired per-seed gain over the baseline
   (``distillbev.evaluation.kd_summary``), written as ``<out>.md`` and ``<out>.json``.

Usage::

    python tools/kd_benchmark.py [--methods baseline cmkd ...] [--seeds 0 1 2]
        [--splits test] [--work-dir work_dirs/kd_benchmark] [--out docs/kd_benchmark]
        [--iters N] [--pretrain-iters N] [--teacher-epochs N] [--image-size H W] [--export-students]
    python tools/kd_benchmark.py --dataset {kitti,kitti_bev} [--methods ...] [--seeds 0 1 2]
        [--splits test val] [--frames 600] [--test-frames 120] [--iters N] [--teacher-iters N]
        (work dir and table: work_dirs/ and docs/kd_benchmark_kitti[_bev])

Relative paths in the configs (``data/``, ``checkpoints/``, ``work_dirs/``) are resolved in
``--root`` (the repository by default), where every command runs. ``--iters``/
``--pretrain-iters``/``--teacher-epochs``/``--teacher-iters``/``--image-size`` train the same
configs at another scale through ``--cfg-options`` (``distillbev.utils.cfg_overrides``), as
``tools/demo.py`` does; options of another dataset are refused. With ``--export-students``
every distilled student is exported to a plain student checkpoint (``tools/export_student.py``)
and evaluated with its student's config (the baseline's, or the temporal student's it pairs with).
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import Config

from distillbev.benchmarking.kd_suites import (DATASETS, KITTI_BEV_METHODS, KITTI_METHODS,
                                               NUS_METHODS, Dataset, resolve_args)
from distillbev.evaluation.kd_summary import summarize_runs, summary_markdown
from distillbev.utils.cfg_overrides import scale_options
from distillbev.utils.progress import run_stage, stage_name
from distillbev.utils.work_dir import last_checkpoint, training_log, training_time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(REPO, 'tools')


def log(msg: str, start: float) -> None:
    print(f'[kd_benchmark {time.time() - start:7.1f}s] {msg}', flush=True)


def run(cmd: List[str], log_file: str, cwd: str, start: float) -> None:
    """Run ``cmd`` in ``cwd`` with a live progress line; keep its output in ``log_file``."""
    log(' '.join(osp.relpath(c, REPO) if c.startswith(REPO + '/') else c for c in cmd), start)
    code = run_stage(stage_name(cmd, REPO), cmd, log_file, cwd,
                     emit=lambda msg: f'[kd_benchmark {time.time() - start:7.1f}s] {msg}')
    if code != 0:
        tail = open(log_file).read()[-3000:]
        raise SystemExit(f'[kd_benchmark] failed ({code}), see {log_file}:\n{tail}')


def bench_settings(ds: Dataset) -> dict:
    """Classes, world seeds and data roots of the benchmark ``ds``."""
    cfg = Config.fromfile(osp.join(REPO, ds.data_cfg))
    classes = Config.fromfile(osp.join(REPO, ds.classes[0]),
                              import_custom_modules=False)[ds.classes[1]]
    return dict(classes=list(classes), seeds=dict(cfg[ds.keys + 'world_seeds']),
                data_root=cfg[ds.keys + 'data_root'], test_root=cfg[ds.keys + 'test_root'])


def make_data(args, ds: Dataset, bench: dict, start: float) -> None:
    """Generate and convert the train/val and the held-out test sets unless they exist."""
    seeds = bench['seeds']
    if seeds['train'] != seeds['val'] or seeds['test'] == seeds['train']:
        raise SystemExit(f'{ds.keys}world_seeds: train and val share one generated set; the '
                         'test split needs its own world seed')
    kitti = ds.name == 'kitti'
    n, n_test = (args.frames, args.test_frames) if kitti else (args.scenes, args.test_scenes)
    sets = [(bench['data_root'], seeds['train'], n, args.val_fraction),
            # one train scene/frame keeps the stock converter happy (it fails on an empty train
            # split); only the val part of this set is evaluated: the test split. Each nus set
            # also gets one unannotated v1.0-test scene: the stock converter always converts a
            # v1.0-test version next to v1.0-trainval.
            (bench['test_root'], seeds['test'], n_test + 1, n_test / (n_test + 1))]
    if 'test' not in args.splits:  # the held-out set is only generated when evaluated
        sets = sets[:1]
    for root, seed, count, val_fraction in sets:
        path = osp.join(args.root, root)
        name = osp.basename(root.rstrip('/'))
        if not osp.exists(osp.join(path, f'{ds.name}_infos_val.pkl')):
            size = (['--frames', str(count)] if kitti else
                    ['--scenes', str(count), '--samples', str(args.samples)])
            tail = [] if kitti else ['--test-scenes', '1', '--classes'] + bench['classes']
            run([sys.executable, osp.join(TOOLS, 'create_synthetic.py'), ds.name, '--out', path,
                 '--seed', str(seed)] + size + ['--val-fraction', f'{val_fraction:.6f}'] + tail,
                osp.join(args.work_dir, 'logs', f'create_{name}.log'), args.root, start)
            run([sys.executable, osp.join(TOOLS, 'create_data.py'), ds.name, '--root-path', path,
                 '--out-dir', path, '--extra-tag', ds.name, '--skip-gt-database'],
                osp.join(args.work_dir, 'logs', f'convert_{name}.log'), args.root, start)
        if not kitti and not osp.exists(osp.join(path, 'nuscenes_infos_val_temporal.pkl')):
            run([sys.executable, osp.join(TOOLS, 'add_temporal_infos.py'), '--root', path,
                 '--infos', 'nuscenes_infos_train.pkl', 'nuscenes_infos_val.pkl'],
                osp.join(args.work_dir, 'logs', f'temporal_{name}.log'), args.root, start)


def train(cfg: str, work_dir: str, seed: int, args, start: float,
          options: List[str]) -> dict:
    """Train ``cfg`` (resuming a partial run); ``train_done.json`` marks a finished run.

    ``train_minutes`` sums the wall time of the run's ``tools/train.py`` calls (``pieces``: a
    resumed run has several), iterations redone after an interruption included.
    """
    done = osp.join(work_dir, 'train_done.json')
    if osp.exists(done):
        return json.load(open(done))
    # no validation while training (every model is evaluated once, by tools/test.py), so
    # overrides of the val loader have nothing to act on
    options = [o for o in options if not o.startswith(('val_dataloader.', 'val_evaluator.'))]
    cmd = [sys.executable, osp.join(TOOLS, 'train.py'), osp.join(REPO, cfg), '--work-dir',
           work_dir, '--cfg-options', 'val_cfg=None', 'val_dataloader=None',
           'val_evaluator=None', f'randomness.seed={seed}'] + list(options)
    resumed = last_checkpoint(work_dir) is not None
    cmd += ['--resume'] if resumed else []
    run(cmd, training_log(work_dir), args.root, start)
    # the CPU share the run had: train_minutes of runs made side by side are not solo times
    seconds, pieces = training_time(work_dir)
    info = dict(train_minutes=seconds / 60, pieces=pieces, checkpoint=last_checkpoint(work_dir),
                resumed=resumed, omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
                cfg_options=list(options), load_average_at_end=os.getloadavg()[0])
    with open(done, 'w') as f:
        json.dump(info, f)
    return info


def evaluate(cfg: str, ckpt: str, work_dir: str, split: str, bench: dict, args,
             start: float, ds: Dataset) -> Dict[str, float]:
    """Stock metric of ``ckpt`` on ``split`` (``test``: the config's held-out test split)."""
    out = osp.join(work_dir, f'metrics_{split}.json')
    if not osp.exists(out):
        extra = [o for o in scale_options(osp.join(REPO, cfg), None, args.image_size)
                 if o.startswith('test_')]
        if split == 'val':
            root = bench['data_root']
            # a wrapped split (TemporalFrames) keeps its infos file name: both roots hold it
            test_set = Config.fromfile(osp.join(REPO, cfg)).test_dataloader.dataset
            key, ann_file = 'test_dataloader.dataset', f'{ds.name}_infos_val.pkl'
            if 'dataset' in test_set:
                key, ann_file = key + '.dataset', osp.basename(test_set.dataset.ann_file)
            extra += [f'{key}.data_root={root}', f'{key}.ann_file={ann_file}']
            if ds.name == 'nuscenes':  # KittiMetric has no data_root
                extra.append(f'test_evaluator.data_root={root}')
            extra.append(f'test_evaluator.ann_file={root}{ds.name}_infos_val.pkl')
        run([sys.executable, osp.join(TOOLS, 'test.py'), osp.join(REPO, cfg), ckpt,
             '--work-dir', osp.join(work_dir, f'test_{split}'), '--out-metrics', out] +
            (['--cfg-options'] + extra if extra else []),
            osp.join(work_dir, f'test_{split}.log'), args.root, start)
    return json.load(open(out))


def export_student(ckpt: str, work_dir: str, args, start: float) -> str:
    """The plain student checkpoint of a distiller checkpoint (``tools/export_student.py``)."""
    plain = osp.join(work_dir, 'student_exported.pth')
    if not osp.exists(plain):
        run([sys.executable, osp.join(TOOLS, 'export_student.py'), ckpt, plain],
            osp.join(work_dir, 'export.log'), args.root, start)
    return plain


def record(method: str, seed: int, split: str, cfg: str, metrics: dict, info: dict,
           bench: dict, ds: Dataset) -> dict:
    return dict(method=method, seed=seed, split=split, config=cfg,
                train_minutes=info['train_minutes'], cfg_options=info.get('cfg_options', []),
                omp_num_threads=info.get('omp_num_threads'), world_seeds=bench['seeds'],
                **ds.run_metrics(metrics, bench['classes']))


def stage_checkpoint(name: str, cfg: str, dst: str, args, start: float,
                     options: List[str], length: Optional[int]) -> dict:
    """Train a shared stage (pre-training, teacher) once and copy its weights to ``dst``.

    ``dst`` is relative to ``--root``; ``length`` rescales the stage's schedule (None: keep).
    """
    options = scale_options(osp.join(REPO, cfg), length, args.image_size) + list(options)
    info = train(cfg, osp.join(args.work_dir, name), 0, args, start, options)
    path = osp.join(args.root, dst)
    # copy again when the stage was retrained: a stale file would silently feed every run
    if not osp.exists(path) or osp.getmtime(path) < osp.getmtime(info['checkpoint']):
        os.makedirs(osp.dirname(path), exist_ok=True)
        shutil.copyfile(info['checkpoint'], path + '.tmp')
        os.replace(path + '.tmp', path)
    log(f'{name}: {dst} ({info["train_minutes"]:.1f} min of training)', start)
    return info


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='KD-gain benchmark on the generated data')
    p.add_argument('--dataset', default='nus', choices=list(DATASETS))
    p.add_argument('--methods', nargs='+', help='default: the baseline and the paper rows; '
                   'nus: ' + ', '.join(NUS_METHODS) + '; kitti: ' + ', '.join(KITTI_METHODS) +
                   '; kitti_bev: ' + ', '.join(KITTI_BEV_METHODS))
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--splits', nargs='+', default=['test'], choices=['test', 'val'])
    p.add_argument('--work-dir', help='default: work_dirs/kd_benchmark[_kitti|_kitti_bev]')
    p.add_argument('--root', default=REPO, help='where data/ and checkpoints/ are resolved')
    p.add_argument('--out', help='table path without .md/.json; default: docs/kd_benchmark[_*]')
    p.add_argument('--scenes', type=int, help='nus: train+val scenes (40)')
    p.add_argument('--val-fraction', type=float, help='nus: 0.25; kitti, kitti_bev: 0.2')
    p.add_argument('--test-scenes', type=int, help='nus: held-out test scenes (12)')
    p.add_argument('--samples', type=int, help='nus: keyframes per scene (6)')
    p.add_argument('--frames', type=int, help='kitti, kitti_bev: train+val frames (600)')
    p.add_argument('--test-frames', type=int, help='kitti*: held-out test frames (120)')
    p.add_argument('--cfg-options', nargs='*', default=[],
                   help='key=value overrides of the pre-training and every student training '
                   '(tests: tiny schedules)')
    p.add_argument('--table-only', action='store_true',
                   help='train and evaluate nothing: write the tables from the finished runs '
                   '(a benchmark in progress; missing runs are listed)')
    p.add_argument('--teacher-cfg-options', nargs='*', default=[],
                   help='key=value overrides of the teacher training')
    p.add_argument('--iters', type=int, help='iterations of every student run (default: the '
                   "configs' schedule, rescaled with its warm-up)")
    p.add_argument('--pretrain-iters', type=int, help='nus: iterations of the depth pre-training')
    p.add_argument('--teacher-epochs', type=int, help='nus: epochs of the teacher')
    p.add_argument('--teacher-iters', type=int, help='kitti*: iterations of the teacher')
    p.add_argument('--image-size', type=int, nargs=2, metavar=('H', 'W'),
                   help='nus: network input size of every camera model (default: the configs\')')
    p.add_argument('--export-students', action='store_true',
                   help='evaluate each distilled student as deployed: exported to a plain '
                   'student checkpoint and tested with the baseline config')
    return resolve_args(p.parse_args(argv), p.error, REPO)


def main(argv=None) -> None:
    args = parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.work_dir, args.root = osp.abspath(args.work_dir), osp.abspath(args.root)
    ds = DATASETS[args.dataset]
    start = time.time()
    if args.table_only:
        return write_tables(finished_runs(args, ds, start), args, ds, start)
    bench = bench_settings(ds)
    make_data(args, ds, bench, start)
    if ds.pretrain:
        stage_checkpoint('pretrain', *ds.pretrain, args, start, args.cfg_options,
                         args.pretrain_iters)
    teacher = stage_checkpoint('teacher', *ds.teacher, args, start, args.teacher_cfg_options,
                               getattr(args, ds.teacher_length))
    runs_dir = osp.join(args.work_dir, 'runs')
    os.makedirs(runs_dir, exist_ok=True)
    runs = []
    for split in args.splits:
        metrics = evaluate(ds.teacher[0], teacher['checkpoint'],
                           osp.join(args.work_dir, 'teacher'), split, bench, args, start, ds)
        runs.append(record('teacher', 0, split, ds.teacher[0], metrics, teacher, bench, ds))
    baseline = next(iter(ds.methods))
    for seed in args.seeds:
        for method in args.methods:
            cfg = ds.methods[method][0]
            out = osp.join(runs_dir, f'{method}_seed{seed}.json')
            if osp.exists(out):
                done = json.load(open(out))
                if {r['split'] for r in done} >= set(args.splits):
                    runs += [r for r in done if r['split'] in args.splits]
                    continue
            wd = osp.join(args.work_dir, method, f'seed{seed}')
            info = train(cfg, wd, seed, args, start,
                         scale_options(osp.join(REPO, cfg), args.iters, args.image_size) +
                         list(args.cfg_options))
            eval_cfg, ckpt = cfg, info['checkpoint']
            if args.export_students and method not in ds.students:
                eval_cfg = ds.methods[ds.pairs.get(method, baseline)][0]
                ckpt = export_student(ckpt, wd, args, start)
            recs = [record(method, seed, split, cfg,
                           evaluate(eval_cfg, ckpt, wd, split, bench, args, start, ds),
                           info, bench, ds) for split in args.splits]
            with open(out + '.tmp', 'w') as f:
                json.dump(recs, f, indent=1)
            os.replace(out + '.tmp', out)
            log(f'{method} seed {seed}: ' + ', '.join(r['split'] + ''.join(
                f' {m} {r[m]:.{ds.digits}f}' for m in ds.metrics) for r in recs), start)
            runs += recs
    write_tables(runs, args, ds, start)


def finished_runs(args, ds: Dataset, start: float) -> List[dict]:
    """The records of the finished runs (teacher, then methods x seeds) on ``args.splits``."""
    runs, missing = [], []
    for split in args.splits:
        path = osp.join(args.work_dir, 'teacher', f'metrics_{split}.json')
        if osp.exists(path):
            info = json.load(open(osp.join(args.work_dir, 'teacher', 'train_done.json')))
            runs.append(record('teacher', 0, split, ds.teacher[0], json.load(open(path)), info,
                               bench_settings(ds), ds))
    for seed in args.seeds:
        for method in args.methods:
            out = osp.join(args.work_dir, 'runs', f'{method}_seed{seed}.json')
            done = json.load(open(out)) if osp.exists(out) else []
            got = [r for r in done if r['split'] in args.splits]
            runs += got
            if len(got) < len(args.splits):
                missing.append(f'{method} seed {seed}')
    if missing:
        log('not run yet: ' + ', '.join(missing), start)
    args.missing = missing
    return runs


def write_tables(runs: List[dict], args, ds: Dataset, start: float) -> None:
    labels = {m: label for m, (_, label) in ds.methods.items()}
    labels['teacher'] = ds.teacher_label
    parts = []
    for split in args.splits:
        summary = summarize_runs(runs, baseline=next(iter(ds.methods)), split=split,
                                 metrics=ds.metrics, pairs=ds.pairs)
        parts.append(f'### {split} split\n\n' + summary_markdown(
            summary, labels, metrics=ds.metrics, titles=ds.titles, digits=ds.digits))
    title = '# KD benchmark results' + (f' ({ds.title})' if ds.title else '')
    regime = (' (set-up, regime and analysis: [student_regime.md](student_regime.md))'
              if ds.name == 'nuscenes' else '')
    head = (title + '\n\nWritten by `python tools/kd_benchmark.py ' + ' '.join(args.argv) +
            '`' + regime + '. Mean ± std over seeds; Δ: paired gain over the baseline of the '
            'same seed (mean, and min over seeds). ' + ds.metric_note + '\n\n')
    if getattr(args, 'missing', None):
        head += ('**In progress**: not run yet: ' + ', '.join(args.missing) + '.\n\n')
    text = head + '\n\n'.join(parts) + '\n'
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out + '.md', 'w') as f:
        f.write(text)
    with open(args.out + '.json', 'w') as f:
        json.dump(dict(runs=runs), f, indent=1)
    print('\n' + text, flush=True)
    log(f'tables in {args.out}.md / .json', start)


if __name__ == '__main__':
    main()
