# Copyright (c) distillbev contributors. All rights reserved.
"""Speed and memory benchmark of distillbev's BEV pooling, camera students and distillation step.

    python tools/benchmark.py                       # everything, CPU, default sizes
    python tools/benchmark.py --suites bev_pool bev_pool_peers --device cuda --iters 20
    python tools/benchmark.py --suites students --scales synthetic --json out.json
    python tools/benchmark.py --markdown docs/benchmark_run.md

Suites (``--suites``, all by default; the work is in :mod:`distillbev.benchmarking`):

- ``bev_pool``: :func:`bev_pool` against the Python-loop reference :func:`bev_pool_naive` on
  the same frustum (real camera geometry: a ring of cameras), forward and forward+backward (the
  reference's backward is the Python-loop gather ``naive_pool_grad``); median times,
  ``speedup = t_naive / t_pool`` and the max abs difference of the BEV maps (forward) or of the
  feature gradients (forward+backward).
- ``bev_pool_peers``: the lift-splat pooling variants of ``distillbev.benchmarking.pool_peers``
  (outer product + sort/prefix sum, ``index_add_``, ``scatter_add_``; BEVPoolv2-style gather;
  the library's :func:`bev_pool_depth`) from the same depth and context, forward and
  forward+backward (gradients w.r.t. depth and context): time, speedup over the sort/prefix-sum
  pooling, max abs difference to the Python-loop reference, and whether two runs give the same
  bits.
- ``students``: BEVDet and BEVDepth built from ``configs/students`` (image backbone
  ``init_cfg=None``: nothing downloads), inference (``mode='tensor'``: head outputs, no NMS) and
  one train step (``loss()`` + ``backward()``), at the R18 synthetic sizes (6 x 128x352) and the
  R50 nuScenes sizes (6 x 256x704), batch 1, random images and consistent camera metainfo.
- ``distill``: the ``CrossModalDistiller`` of each method config (``--methods``: CMKD,
  UniDistill, DistillBEV; ``configs/<method>/``, the generated-data configs at the synthetic
  scale, the nuScenes ones at the nus scale) with a random-weight teacher, against the
  student-only step on the same batch; the teacher forward is timed separately and
  ``ratio = t_distill / t_student``.

Each timing: ``--warmup`` untimed iterations, then ``--iters`` timed ones (per scale, see
``--iters-nus``); the median is reported with the min-max spread. Memory: the peak of
``torch.cuda.max_memory_allocated`` on CUDA; on CPU the peak resident set size of the whole
process during the timed iterations (sampled from ``/proc/self/statm``), which includes the
interpreter, the libraries and the model.
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from distillbev.benchmarking import (METHOD_CFGS, POOL_SCALES, STUDENT_CFGS,  # noqa: E402
                                     bench_bev_pool, bench_bev_pool_peers, bench_distill,
                                     bench_students, environment, load_average, tables,
                                     text_table, to_markdown)

SUITES = ['bev_pool', 'bev_pool_peers', 'students', 'distill']


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--suites', nargs='+', default=SUITES, choices=SUITES)
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:<i>'")
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads (default: torch\'s default)')
    parser.add_argument('--pool-scales', nargs='+', default=list(POOL_SCALES),
                        choices=list(POOL_SCALES), help='bev_pool suites: sizes (POOL_SCALES)')
    parser.add_argument('--scales', nargs='+', default=['synthetic', 'nus'],
                        choices=['synthetic', 'nus'], help='student / distillation sizes')
    parser.add_argument('--students', nargs='+', default=['bevdet', 'bevdepth'],
                        choices=sorted({kind for kind, _ in STUDENT_CFGS}))
    methods = list(dict.fromkeys(method for method, _ in METHOD_CFGS))
    parser.add_argument('--methods', nargs='+', default=methods, choices=methods,
                        help='distill suite: the method configs to time (METHOD_CFGS)')
    parser.add_argument('--distill-scales', nargs='+', default=None,
                        choices=['synthetic', 'nus'], help='default: --scales')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=5,
                        help='timed iterations (bev_pool suites, synthetic-scale models)')
    parser.add_argument('--iters-nus', type=int, default=2,
                        help='timed iterations of the nuScenes-scale models')
    parser.add_argument('--naive-iters', type=int, default=1,
                        help='timed iterations of the Python-loop reference')
    parser.add_argument('--no-backward', action='store_true',
                        help='bev_pool suites: forward only')
    parser.add_argument('--json', help='write the rows and the environment as JSON')
    parser.add_argument('--markdown', help='write the environment and tables as markdown')
    return parser.parse_args(argv)


def run_suites(args: argparse.Namespace, device: torch.device) -> List[Dict[str, Any]]:
    """The rows of the selected suites, in the order of :data:`SUITES`."""
    iters = dict(synthetic=args.iters, nus=args.iters_nus)
    rows: List[Dict[str, Any]] = []
    if 'bev_pool' in args.suites:
        rows += bench_bev_pool(args.pool_scales, device, args.warmup, args.iters,
                               args.naive_iters, backward=not args.no_backward)
    if 'bev_pool_peers' in args.suites:
        rows += bench_bev_pool_peers(args.pool_scales, device, args.warmup, args.iters,
                                     backward=not args.no_backward)
    if 'students' in args.suites:
        rows += bench_students(args.students, args.scales, device, args.warmup, iters,
                               args.batch)
    if 'distill' in args.suites:
        rows += bench_distill(args.methods, args.distill_scales or args.scales, device,
                              args.warmup, iters, args.batch)
    return rows


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: CUDA is not available in this torch build/machine')
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    env = environment(device)
    env['command'] = 'python tools/benchmark.py ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    print('environment: ' + json.dumps(env), flush=True)
    start = time.perf_counter()
    rows = run_suites(args, device)
    env['total_wall_s'] = round(time.perf_counter() - start, 1)
    env['loadavg_end'] = load_average()
    result = dict(environment=env, rows=rows)
    for suite, table in tables(rows).items():
        print(f'\n== {suite} ==\n' + text_table(table))
    print(f"\ntotal {env['total_wall_s']} s, torch threads {env['torch_threads']}, "
          f"load average start {env.get('loadavg_start')} end {env.get('loadavg_end')}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    if args.markdown:
        with open(args.markdown, 'w') as f:
            f.write(to_markdown(result))
    return result


if __name__ == '__main__':
    main()
