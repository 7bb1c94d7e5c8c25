# Copyright (c) distillbev contributors. All rights reserved.
"""tools/demo.py: the KD benchmark for one seed, in its own work dir. Its end-to-end path (data,
pre-training, teacher, students, export, stock metric, rerun) is the benchmark's, run at a tiny
scale with the demo's flags by tests/test_tools/test_kd_benchmark.py; here: what the demo hands
to the benchmark."""
import importlib.util
from pathlib import Path


def _demo():
    spec = importlib.util.spec_from_file_location(
        'demo', Path(__file__).parents[2] / 'tools' / 'demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def test_demo_is_the_benchmark_for_one_seed():
    argv = _demo().benchmark_argv(['--work-dir', '/tmp/d'])
    joined = ' '.join(argv)
    assert '--root /tmp/d --work-dir /tmp/d --out /tmp/d/results' in joined
    assert '--seeds 0 --splits test --export-students' in joined
    assert '--methods baseline cmkd unidistill distillbev_tuned' in joined
    assert argv[:2] == ['--dataset', 'nus']
    # the benchmark's own scale unless asked otherwise
    assert '--iters' not in argv and '--image-size' not in argv
    scaled = ' '.join(_demo().benchmark_argv(['--iters', '80', '--image-size', '64', '176']))
    assert '--iters 80 --image-size 64 176' in scaled
    # anything else goes to the benchmark unchanged
    assert _demo().benchmark_argv(['--', '--scenes', '2'])[-2:] == ['--scenes', '2']


def test_demo_kitti_part_is_the_monocular_benchmark_for_one_seed():
    demo = _demo()
    argv = demo.benchmark_argv(['--dataset', 'kitti', '--teacher-iters', '40'])
    joined = ' '.join(argv)
    work = str(Path(demo.REPO) / 'work_dirs' / 'demo_kitti')
    assert joined.startswith(f'--dataset kitti --root {work} --work-dir {work} ')
    assert '--methods baseline monodistill monommkd --seeds 0 --splits test' in joined
    assert argv[-2:] == ['--teacher-iters', '40']
    # the benchmark accepts exactly these arguments (it refuses nus-only options for kitti)
    args = demo.kd_benchmark().parse_args(argv)
    assert (args.dataset, args.methods, args.teacher_iters) == (
        'kitti', ['baseline', 'monodistill', 'monommkd'], 40)


def test_demo_kitti_bev_part_is_the_cmkd_kitti_benchmark_for_one_seed():
    demo = _demo()
    argv = demo.benchmark_argv(['--dataset', 'kitti_bev'])
    joined = ' '.join(argv)
    work = str(Path(demo.REPO) / 'work_dirs' / 'demo_kitti_bev')  # not the KITTI part's runs
    assert joined.startswith(f'--dataset kitti_bev --root {work} --work-dir {work} ')
    assert '--methods baseline cmkd_tuned --seeds 0 --splits test --export-students' in joined
    args = demo.kd_benchmark().parse_args(argv)
    assert (args.dataset, args.methods, args.teacher_iters) == (
        'kitti_bev', ['baseline', 'cmkd_tuned'], None)


def test_demo_runs_the_benchmark_main_with_those_arguments(tmp_path):
    demo = _demo()
    calls = []

    class _Bench:
        @staticmethod
        def main(argv):
            calls.append(argv)

    demo.kd_benchmark = lambda: _Bench
    demo.main(['--work-dir', str(tmp_path), '--seed', '2', '--methods', 'baseline', 'cmkd'])
    assert calls == [demo.benchmark_argv(['--work-dir', str(tmp_path), '--seed', '2',
                                          '--methods', 'baseline', 'cmkd'])]
    assert '--seeds 2' in ' '.join(calls[0])
    # the real module loads and exposes main
    assert callable(_demo().kd_benchmark().main)
