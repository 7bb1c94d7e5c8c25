# Copyright (c) distillbev contributors. All rights reserved.
"""The distillbev demo: LiDAR -> camera distillation end to end on the generated nuScenes layout,
with the stock runner, converter and metric, one seed of every method.

It is the KD benchmark (``tools/kd_benchmark.py``) for one seed, in its own work dir: the same
configs and schedule. Stages (each skipped when its output exists, so a rerun resumes):

1. generate the benchmark's train/val set and its held-out test set (``tools/create_synthetic.py``)
   and convert them with mmdet3d's stock converter (``tools/create_data.py``);
2. depth pre-training of the student's image encoder and depth net on the training images and
   their LiDAR (no boxes);
3. the CenterPoint-pillar LiDAR teacher;
4. the BEVDepth-R18 camera student without KD, and with CMKD and UniDistill (paper settings) and
   DistillBEV (its tuned row: the paper's weights hurt in this regime, docs/kd_diagnosis.md), on
   one schedule and seed; each distilled student is exported to a plain student checkpoint
   (``tools/export_student.py``) and every model is evaluated on the held-out test split with
   ``tools/test.py`` and the stock ``NuScenesMetric``;
5. the table: ``<work-dir>/results.md`` and ``results.json``.

``--dataset kitti`` is the KITTI part: the monocular regime of ``tools/kd_benchmark.py --dataset
kitti`` for one seed (generated KITTI-layout frames and a held-out set, the MonoDLE depth-image
teacher, the MonoDLE student alone and with MonoDistill and MonoMMKD, the stock ``KittiMetric``),
in ``work_dirs/demo_kitti`` (docs/kitti_regime.md). ``--dataset kitti_bev`` is CMKD's KITTI form
(``tools/kd_benchmark.py --dataset kitti_bev``: the PointPillars LiDAR teacher, the mono-BEV
student alone and with CMKD's tuned row, ``cmkd_tuned``, chosen on val: the paper's setting, which
drops the student's box losses, hurts in this regime, docs/cmkd_kitti_regime.md) for one seed, in
``work_dirs/demo_kitti_bev``.

Every command is printed, so each stage can be rerun by hand. ``--iters``, ``--pretrain-iters``,
``--teacher-epochs`` and ``--image-size`` train the same configs at another scale through
``--cfg-options``; the smaller scales measured so far do not detect (docs/student_regime.md).
The three-seed comparison is ``tools/kd_benchmark.py`` (docs/kd_benchmark.md).

Usage::

    python tools/demo.py [--dataset nus|kitti|kitti_bev]
        [--work-dir work_dirs/demo[_kitti|_kitti_bev]]
        [--methods baseline cmkd ...] [--seed 0] [--iters N] [--pretrain-iters N]
        [--teacher-epochs N] [--teacher-iters N] [--image-size H W]
        [-- <further tools/kd_benchmark.py arguments>]
"""
import argparse
import importlib.util
import os.path as osp
import sys
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def kd_benchmark():
    """``tools/kd_benchmark.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        'kd_benchmark', osp.join(REPO, 'tools', 'kd_benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEMO_METHODS = dict(nus=['baseline', 'cmkd', 'unidistill', 'distillbev_tuned'],
                    kitti=['baseline', 'monodistill', 'monommkd'],
                    kitti_bev=['baseline', 'cmkd_tuned'])
# the default work dir of each dataset (also its --root: its data and checkpoints live there)
DEMO_WORK_DIRS = dict(nus='demo', kitti='demo_kitti', kitti_bev='demo_kitti_bev')


def benchmark_argv(argv: Optional[List[str]] = None) -> List[str]:
    """The ``tools/kd_benchmark.py`` arguments of a demo run."""
    p = argparse.ArgumentParser(description='distillbev demo (the KD benchmark at demo scale)')
    p.add_argument('--dataset', default='nus', choices=list(DEMO_METHODS),
                   help='nus: LiDAR -> multi-view camera (default); kitti: depth image -> '
                   'monocular camera; kitti_bev: LiDAR -> monocular camera in BEV (CMKD)')
    p.add_argument('--work-dir', help='its data/, checkpoints/ and every run go here; default: '
                   + ', '.join(f'work_dirs/{d} ({k})' for k, d in DEMO_WORK_DIRS.items()))
    p.add_argument('--methods', nargs='+', help='default: ' + '; '.join(
        f'{k}: {" ".join(v)}' for k, v in DEMO_METHODS.items()))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--iters', type=int, help='iterations of every student run')
    p.add_argument('--pretrain-iters', type=int, help='iterations of the depth pre-training')
    p.add_argument('--teacher-epochs', type=int, help='nus: epochs of the teacher')
    p.add_argument('--teacher-iters', type=int,
                   help='kitti, kitti_bev: iterations of the teacher')
    p.add_argument('--image-size', type=int, nargs=2, metavar=('H', 'W'),
                   help='network input size of the camera models')
    args, rest = p.parse_known_args(argv)
    work = osp.abspath(args.work_dir or osp.join(REPO, 'work_dirs',
                                                 DEMO_WORK_DIRS[args.dataset]))
    argv = ['--dataset', args.dataset, '--root', work, '--work-dir', work, '--out',
            osp.join(work, 'results'), '--methods', *(args.methods or DEMO_METHODS[args.dataset]),
            '--seeds', str(args.seed), '--splits', 'test', '--export-students']
    for flag in ('iters', 'pretrain_iters', 'teacher_epochs', 'teacher_iters'):
        if getattr(args, flag) is not None:
            argv += ['--' + flag.replace('_', '-'), str(getattr(args, flag))]
    if args.image_size:
        argv += ['--image-size'] + [str(v) for v in args.image_size]
    return argv + [a for a in rest if a != '--']


def main(argv: Optional[List[str]] = None) -> None:
    kd_benchmark().main(benchmark_argv(argv if argv is not None else sys.argv[1:]))


if __name__ == '__main__':
    main()
