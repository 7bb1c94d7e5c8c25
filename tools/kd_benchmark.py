# Copyright (c) distillbev contributors. All rights reserved.
"""KD-gain benchmark: does a LiDAR teacher make the camera student detect better?

Stages (each skipped when its output exists, so an interrupted benchmark resumes where it
stopped; a half-trained run resumes from its last checkpoint):

1. data: the benchmark's generated nuScenes-layout sets (``configs/_base_/datasets/
   synthetic-nus-bench-3d.py``): train/val from one world seed, the held-out test split from
   another, each converted by mmdet3d's stock converter;
2. depth pre-training of the students' image encoder on the training images (LiDAR depth only);
3. the LiDAR teacher, trained once;
4. every method (the student without KD first) for every seed, on the same schedule: trained
   with ``tools/train.py`` and evaluated with ``tools/test.py`` and the stock ``NuScenesMetric``
   on the requested splits (``test``: the held-out split; ``val``: the tuning split);
5. the table: mean ± std over seeds, the paired per-seed gain over the baseline
   (``distillbev.evaluation.kd_summary``), written as ``<out>.md`` and ``<out>.json``.

Usage::

    python tools/kd_benchmark.py [--methods baseline cmkd ...] [--seeds 0 1 2]
        [--splits test] [--work-dir work_dirs/kd_benchmark] [--out docs/kd_benchmark]
        [--iters N] [--pretrain-iters N] [--teacher-epochs N] [--image-size H W]
        [--export-students]

Relative paths in the configs (``data/``, ``checkpoints/``) are resolved in ``--root`` (the
repository by default), where every command runs. ``--iters``/``--pretrain-iters``/
``--teacher-epochs``/``--image-size`` train the same configs at another scale through
``--cfg-options`` (``distillbev.utils.cfg_overrides``), as ``tools/demo.py`` does; with
``--export-students`` every distilled student is exported to a plain student checkpoint
(``tools/export_student.py``) and evaluated with the baseline's config.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import Dict, List

from mmengine.config import Config

from distillbev.evaluation.kd_summary import nus_run_metrics, summarize_runs, summary_markdown
from distillbev.utils.cfg_overrides import scale_options
from distillbev.utils.progress import run_stage, stage_name
from distillbev.utils.work_dir import last_checkpoint

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(REPO, 'tools')

BENCH_BASE = 'configs/_base_/datasets/synthetic-nus-bench-3d.py'
PRETRAIN = ('configs/pretrain/r18-fpn_depth-pretrain_1xb4-10min_synthetic-nus-bench.py',
            'checkpoints/r18-fpn_depth-pretrain_synthetic-nus-bench.pth')
TEACHER = ('configs/centerpoint/'
           'centerpoint_pillar04_second_secfpn_1xb4-cyclic-8e_synthetic-nus-bench-3d.py',
           'checkpoints/centerpoint-pillar04_synthetic-nus-bench.pth')
# method -> (config, table label); the first is the baseline every method is paired with
BENCH = '_1xb4-15min_synthetic-nus-bench-3d.py'
METHODS = {
    'baseline': ('configs/students/bevdepth_r18_fpn_centerhead' + BENCH, 'BEVDepth-R18 (no KD)'),
    'cmkd': ('configs/cmkd/cmkd_bevdepth-r18_centerpoint-pillar04' + BENCH,
             'CMKD (paper setting)'),
    'unidistill': ('configs/unidistill/unidistill_bevdepth-r18_centerpoint-pillar04' + BENCH,
                   'UniDistill (paper setting)'),
    'distillbev': ('configs/distillbev/distillbev_bevdepth-r18_centerpoint-pillar04' + BENCH,
                   'DistillBEV (paper setting)'),
    # tuned rows: every KD term scaled so that the KD sum starts at about 0.3x the detection
    # loss (the rule and its val runs: docs/student_regime.md)
    'cmkd_tuned': ('configs/cmkd/cmkd_bevdepth-r18_centerpoint-pillar04_kdw0.3' + BENCH,
                   'CMKD (tuned: KD x0.3)'),
    'unidistill_tuned': ('configs/unidistill/unidistill_bevdepth-r18_centerpoint-pillar04_kdw0.1'
                         + BENCH, 'UniDistill (tuned: KD x0.1)'),
    'distillbev_tuned': ('configs/distillbev/distillbev_bevdepth-r18_centerpoint-pillar04_kdw0.02'
                         + BENCH, 'DistillBEV (tuned: KD x0.02)'),
    # the combination: CMKD's terms and UniDistill's two feature terms
    'cmkd_unidistill': ('configs/cmkd_unidistill/cmkd-unidistill_bevdepth-r18_centerpoint-pillar04'
                        + BENCH, 'CMKD + UniDistill features'),
}
# what `--methods` runs when not given: the baseline and the paper rows
DEFAULT_METHODS = ['baseline', 'cmkd', 'unidistill', 'distillbev']


def log(msg: str, start: float) -> None:
    print(f'[kd_benchmark {time.time() - start:7.1f}s] {msg}', flush=True)


def run(cmd: List[str], log_file: str, cwd: str, start: float) -> float:
    """Run ``cmd`` in ``cwd`` with a live progress line; keep its output in ``log_file``.

    Returns:
        float: seconds.
    """
    t0 = time.time()
    log(' '.join(osp.relpath(c, REPO) if c.startswith(REPO + '/') else c for c in cmd), start)
    code = run_stage(stage_name(cmd, REPO), cmd, log_file, cwd,
                     emit=lambda msg: f'[kd_benchmark {time.time() - start:7.1f}s] {msg}')
    if code != 0:
        tail = open(log_file).read()[-3000:]
        raise SystemExit(f'[kd_benchmark] failed ({code}), see {log_file}:\n{tail}')
    return time.time() - t0


def bench_settings() -> dict:
    cfg = Config.fromfile(osp.join(REPO, BENCH_BASE))
    return dict(classes=list(cfg.bench_class_names), seeds=dict(cfg.bench_world_seeds),
                data_root=cfg.bench_data_root, test_root=cfg.bench_test_root)


def make_data(args, bench: dict, start: float) -> None:
    """Generate and convert the train/val and the held-out test sets unless they exist."""
    seeds = bench['seeds']
    if seeds['train'] != seeds['val'] or seeds['test'] == seeds['train']:
        raise SystemExit('bench_world_seeds: train and val share one generated set; the test '
                         'split needs its own world seed')
    sets = [(bench['data_root'], seeds['train'], args.scenes, args.val_fraction),
            # one train scene keeps the stock converter happy (it fails on an empty train
            # split); only the val scenes of this set are evaluated: the test split. Each set
            # also gets one unannotated v1.0-test scene: the stock converter always converts a
            # v1.0-test version next to v1.0-trainval.
            (bench['test_root'], seeds['test'], args.test_scenes + 1,
             args.test_scenes / (args.test_scenes + 1))]
    if 'test' not in args.splits:  # the held-out set is only generated when evaluated
        sets = sets[:1]
    for root, seed, scenes, val_fraction in sets:
        path = osp.join(args.root, root)
        if osp.exists(osp.join(path, 'nuscenes_infos_val.pkl')):
            continue
        name = osp.basename(root.rstrip('/'))
        run([sys.executable, osp.join(TOOLS, 'create_synthetic.py'), 'nuscenes', '--out', path,
             '--seed', str(seed), '--scenes', str(scenes), '--samples', str(args.samples),
             '--val-fraction', f'{val_fraction:.6f}', '--test-scenes', '1',
             '--classes'] + bench['classes'],
            osp.join(args.work_dir, 'logs', f'create_{name}.log'), args.root, start)
        run([sys.executable, osp.join(TOOLS, 'create_data.py'), 'nuscenes', '--root-path', path,
             '--out-dir', path, '--extra-tag', 'nuscenes', '--skip-gt-database'],
            osp.join(args.work_dir, 'logs', f'convert_{name}.log'), args.root, start)


def train(cfg: str, work_dir: str, seed: int, args, start: float,
          options: List[str]) -> dict:
    """Train ``cfg`` (resuming a partial run); ``train_done.json`` marks a finished run.

    ``train_minutes`` is the wall time of the last ``tools/train.py`` call; a resumed run
    (``resumed=True`` in the record) leaves out the time spent before the interruption.
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
    if resumed:
        cmd.append('--resume')
    seconds = run(cmd, osp.join(work_dir, f'train_{int(time.time())}.log'), args.root, start)
    # the CPU share the run had: train_minutes of runs made side by side are not solo times
    info = dict(train_minutes=seconds / 60, checkpoint=last_checkpoint(work_dir),
                resumed=resumed, omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
                cfg_options=list(options),
                load_average_at_end=os.getloadavg()[0])
    with open(done, 'w') as f:
        json.dump(info, f)
    return info


def evaluate(cfg: str, ckpt: str, work_dir: str, split: str, bench: dict, args,
             start: float) -> Dict[str, float]:
    """Stock metric of ``ckpt`` on ``split`` (``test``: the config's held-out test split)."""
    out = osp.join(work_dir, f'metrics_{split}.json')
    if not osp.exists(out):
        extra = [o for o in scale_options(osp.join(REPO, cfg), None, args.image_size)
                 if o.startswith('test_')]
        if split == 'val':
            root = bench['data_root']
            extra += [f'test_dataloader.dataset.data_root={root}',
                      'test_dataloader.dataset.ann_file=nuscenes_infos_val.pkl',
                      f'test_evaluator.data_root={root}',
                      f'test_evaluator.ann_file={root}nuscenes_infos_val.pkl']
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
           bench: dict) -> dict:
    return dict(method=method, seed=seed, split=split, config=cfg,
                train_minutes=info['train_minutes'], cfg_options=info.get('cfg_options', []),
                omp_num_threads=info.get('omp_num_threads'), world_seeds=bench['seeds'],
                **nus_run_metrics(metrics, bench['classes']))


def stage_checkpoint(name: str, cfg: str, dst: str, args, start: float,
                     options: List[str]) -> dict:
    """Train a shared stage (pre-training, teacher) once and copy its weights to ``dst``."""
    length = args.pretrain_iters if name == 'pretrain' else args.teacher_epochs
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
    p.add_argument('--methods', nargs='+', default=DEFAULT_METHODS, choices=list(METHODS))
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--splits', nargs='+', default=['test'], choices=['test', 'val'])
    p.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'kd_benchmark'))
    p.add_argument('--root', default=REPO, help='where data/ and checkpoints/ are resolved')
    p.add_argument('--out', default=osp.join(REPO, 'docs', 'kd_benchmark'),
                   help='table path without extension (.md and .json are written)')
    p.add_argument('--scenes', type=int, default=40, help='train+val scenes')
    p.add_argument('--val-fraction', type=float, default=0.25)
    p.add_argument('--test-scenes', type=int, default=12)
    p.add_argument('--samples', type=int, default=6, help='keyframes per scene')
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
    p.add_argument('--pretrain-iters', type=int, help='iterations of the depth pre-training')
    p.add_argument('--teacher-epochs', type=int, help='epochs of the teacher')
    p.add_argument('--image-size', type=int, nargs=2, metavar=('H', 'W'),
                   help='network input size of every camera model (default: the configs\')')
    p.add_argument('--export-students', action='store_true',
                   help='evaluate each distilled student as deployed: exported to a plain '
                   'student checkpoint and tested with the baseline config')
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.work_dir, args.root = osp.abspath(args.work_dir), osp.abspath(args.root)
    start = time.time()
    if args.table_only:
        return write_tables(finished_runs(args, start), args, start)
    bench = bench_settings()
    make_data(args, bench, start)
    stage_checkpoint('pretrain', *PRETRAIN, args, start, args.cfg_options)
    teacher = stage_checkpoint('teacher', *TEACHER, args, start, args.teacher_cfg_options)
    runs_dir = osp.join(args.work_dir, 'runs')
    os.makedirs(runs_dir, exist_ok=True)
    runs = []
    for split in args.splits:
        metrics = evaluate(TEACHER[0], teacher['checkpoint'], osp.join(args.work_dir, 'teacher'),
                           split, bench, args, start)
        runs.append(record('teacher', 0, split, TEACHER[0], metrics, teacher, bench))
    for seed in args.seeds:
        for method in args.methods:
            cfg = METHODS[method][0]
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
            if args.export_students and method != 'baseline':
                eval_cfg, ckpt = METHODS['baseline'][0], export_student(ckpt, wd, args, start)
            recs = [record(method, seed, split, cfg,
                           evaluate(eval_cfg, ckpt, wd, split, bench, args, start),
                           info, bench) for split in args.splits]
            with open(out + '.tmp', 'w') as f:
                json.dump(recs, f, indent=1)
            os.replace(out + '.tmp', out)
            log(f'{method} seed {seed}: ' + ', '.join(
                f"{r['split']} mAP {r['mAP']:.3f} NDS {r['NDS']:.3f}" for r in recs), start)
            runs += recs
    write_tables(runs, args, start)


def finished_runs(args, start: float) -> List[dict]:
    """The records of the finished runs (teacher, then methods x seeds) on ``args.splits``."""
    runs, missing = [], []
    for split in args.splits:
        path = osp.join(args.work_dir, 'teacher', f'metrics_{split}.json')
        if osp.exists(path):
            info = json.load(open(osp.join(args.work_dir, 'teacher', 'train_done.json')))
            runs.append(record('teacher', 0, split, TEACHER[0], json.load(open(path)), info,
                               bench_settings()))
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


def write_tables(runs: List[dict], args, start: float) -> None:
    labels = {m: label for m, (_, label) in METHODS.items()}
    labels['teacher'] = 'LiDAR teacher (CenterPoint-pillar 0.4 m)'
    parts = []
    for split in args.splits:
        summary = summarize_runs(runs, baseline=next(iter(METHODS)), split=split)
        parts.append(f'### {split} split\n\n' + summary_markdown(summary, labels))
    head = ('# KD benchmark results\n\nWritten by `python tools/kd_benchmark.py ' +
            ' '.join(args.argv) + '` (set-up, regime and analysis: '
            '[student_regime.md](student_regime.md)). Mean ± std over seeds; Δ: paired gain '
            'over the baseline of the same seed (mean, and min over seeds). Stock NuScenesMetric '
            '(devkit, 25 m ranges), mAP/NDS over the benchmark\'s classes.\n\n')
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
