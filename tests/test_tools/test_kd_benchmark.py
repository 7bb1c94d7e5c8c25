# Copyright (c) distillbev contributors. All rights reserved.
"""tools/kd_benchmark.py at a tiny scale, with the flags tools/demo.py passes: generated train/val
and held-out test sets, depth pre-training, teacher, the baseline and one method (2 iterations
each, 32x88 images through --image-size), the distilled student exported and evaluated with the
plain student config, the stock metric, the table with paired gains; then a rerun after an
interrupted run (its record lost): only that run's evaluation is redone, nothing is trained
again. The KITTI mode (``--dataset kitti``) and the argument checks run with a fake subprocess
runner: the commands each stage issues, the teacher checkpoint's copy, the tables; so does the
CMKD KITTI mode (``--dataset kitti_bev``), on the KITTI mode's generated data."""
import importlib.util
import json
import os
import os.path as osp
from pathlib import Path

import pytest
from mmengine.config import Config

from distillbev.evaluation.kd_summary import KITTI_METRIC_PREFIX, summarize_runs
from helpers.runs import run_tool

REPO = Path(__file__).parents[2]
# the overrides that evaluate a KITTI suite's model on the tuning (val) split
KITTI_VAL_OPTS = ['test_dataloader.dataset.data_root=data/synthetic-kitti-bench/',
                  'test_dataloader.dataset.ann_file=kitti_infos_val.pkl',
                  'test_evaluator.ann_file=data/synthetic-kitti-bench/kitti_infos_val.pkl']


def _tool():
    spec = importlib.util.spec_from_file_location(
        'kd_benchmark', REPO / 'tools' / 'kd_benchmark.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


TINY = ['train_dataloader.batch_size=1',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'default_hooks.checkpoint.interval=1']
TINY_TEACHER = ['train_dataloader.batch_size=1',
                'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']


def test_kd_benchmark_tiny_runs_resumes_and_pairs(tmp_path):
    pytest.importorskip('mmcv.ops')
    out = tmp_path / 'table'

    def bench(seeds):
        args = ['tools/kd_benchmark.py', '--root', str(tmp_path), '--work-dir',
                str(tmp_path / 'work'), '--out', str(out), '--scenes', '2', '--val-fraction',
                '0.5', '--test-scenes', '1', '--samples', '2', '--methods', 'baseline', 'cmkd',
                '--seeds'] + [str(s) for s in seeds]
        args += ['--iters', '2', '--pretrain-iters', '2', '--teacher-epochs', '1',
                 '--image-size', '32', '88', '--export-students']
        args += ['--cfg-options'] + TINY + ['--teacher-cfg-options'] + TINY_TEACHER
        logs = len(list(tmp_path.glob('bench_*.log')))
        return run_tool(args, tmp_path / f'bench_{logs}.log', timeout=1200)

    first = bench([0])
    assert (tmp_path / 'checkpoints' / 'centerpoint-pillar04_synthetic-nus-bench.pth').exists()
    assert (tmp_path / 'checkpoints' / 'r18-fpn_depth-pretrain_synthetic-nus-bench.pth').exists()
    assert first.count('tools/train.py') == 4  # pre-training, teacher, baseline, cmkd
    # the distilled student is evaluated as deployed: exported, with the plain student config
    assert (tmp_path / 'work' / 'cmkd' / 'seed0' / 'student_exported.pth').exists()
    cmkd_test = (tmp_path / 'work' / 'cmkd' / 'seed0' / 'test_test.log').read_text()
    assert 'student_exported.pth' in cmkd_test

    # interrupted after cmkd's training, before its record was written
    (tmp_path / 'work' / 'runs' / 'cmkd_seed0.json').unlink()
    (tmp_path / 'work' / 'cmkd' / 'seed0' / 'metrics_test.json').unlink()
    second = bench([0])
    assert 'tools/train.py' not in second and 'create_synthetic.py' not in second
    assert second.count('tools/test.py') == 1
    table = json.loads((tmp_path / 'table.json').read_text())
    runs = table['runs']
    assert sorted((r['method'], r['seed']) for r in runs) == [
        ('baseline', 0), ('cmkd', 0), ('teacher', 0)]
    for r in runs:
        assert r['split'] == 'test'
        assert r['world_seeds'] == dict(train=0, val=0, test=1000)
        assert set(r['per_class']) == {'car', 'barrier', 'bicycle', 'pedestrian'}
        assert 0.0 <= r['mAP'] <= 1.0 and r['train_minutes'] > 0
        assert r['config'].endswith('.py')
        if r['method'] != 'teacher':  # the scale flags, recorded with the run
            assert 'train_cfg.max_iters=2' in r['cfg_options']
            assert any(o.endswith('.final_size=(32,88)') for o in r['cfg_options'])
    by = {(r['method'], r['seed']): r for r in runs}
    gain = summarize_runs(runs)['cmkd']['gain']['mAP']
    expected = by[('cmkd', 0)]['mAP'] - by[('baseline', 0)]['mAP']
    assert gain['per_seed'] == pytest.approx({0: expected})
    assert gain['min'] == pytest.approx(expected)
    md = (tmp_path / 'table.md').read_text()
    assert '| CMKD (paper setting) | 0 |' in md
    assert '| BEVDepth-R18 (no KD) | 0 |' in md

    # a benchmark in progress: the tables of what has finished, the missing runs named
    partial = run_tool(['tools/kd_benchmark.py', '--root', str(tmp_path), '--work-dir',
                        str(tmp_path / 'work'), '--out', str(tmp_path / 'partial'),
                        '--methods', 'baseline', 'cmkd', '--seeds', '0', '1', '--table-only'],
                       tmp_path / 'partial.log')
    assert 'not run yet: baseline seed 1, cmkd seed 1' in partial
    assert 'tools/train.py' not in partial and 'tools/test.py' not in partial
    assert json.loads((tmp_path / 'partial.json').read_text())['runs'] == runs


# Car 3D AP40 moderate (strict) each fake evaluation reports: (method, seed, split) -> AP
KITTI_CAR_3D = {('teacher', 0, 'test'): 40.0, ('teacher', 0, 'val'): 42.0,
                ('baseline', 0, 'test'): 10.0, ('baseline', 1, 'test'): 20.0,
                ('monodistill', 0, 'test'): 12.5, ('monodistill', 1, 'test'): 19.0,
                ('baseline', 0, 'val'): 11.0, ('baseline', 1, 'val'): 21.0,
                ('monodistill', 0, 'val'): 11.5, ('monodistill', 1, 'val'): 22.0,
                ('cmkd', 0, 'test'): 13.0, ('cmkd', 1, 'test'): 24.0,
                ('cmkd', 0, 'val'): 10.0, ('cmkd', 1, 'val'): 23.0}


def _fake_run(calls):
    """``kd_benchmark.run`` without subprocesses: records each command, writes its outputs."""

    def run(cmd, log_file, cwd, start):
        calls.append(list(cmd))
        tool = osp.basename(cmd[1])
        if tool == 'create_synthetic.py':
            os.makedirs(cmd[cmd.index('--out') + 1], exist_ok=True)
        elif tool == 'create_data.py':
            root, tag = cmd[cmd.index('--root-path') + 1], cmd[cmd.index('--extra-tag') + 1]
            for split in ('train', 'val'):
                Path(root, f'{tag}_infos_{split}.pkl').write_bytes(b'infos')
        elif tool == 'train.py':
            wd = cmd[cmd.index('--work-dir') + 1]
            os.makedirs(wd, exist_ok=True)
            ckpt = osp.join(wd, 'iter_2.pth')
            Path(ckpt).write_text(f'weights of {wd}')
            Path(wd, 'last_checkpoint').write_text(ckpt)
        elif tool == 'export_student.py':
            Path(cmd[3]).write_text('exported ' + Path(cmd[2]).read_text())
        elif tool == 'test.py':
            wd = Path(cmd[cmd.index('--work-dir') + 1])  # <method>/seed<s>/test_<split>
            split = wd.name[len('test_'):]
            key = (('teacher', 0) if wd.parent.name == 'teacher' else
                   (wd.parent.parent.name, int(wd.parent.name[len('seed'):]))) + (split, )
            p = KITTI_METRIC_PREFIX
            metrics = {}
            for cls, ap in (('Pedestrian', 1.0), ('Cyclist', 2.0),
                            ('Car', KITTI_CAR_3D[key])):
                for diff in ('easy', 'moderate', 'hard'):
                    for iou in ('strict', 'loose'):
                        other = 0.0 if (diff, iou) == ('moderate', 'strict') else 30.0
                        metrics[f'{p}{cls}_3D_AP40_{diff}_{iou}'] = ap + other
                        metrics[f'{p}{cls}_BEV_AP40_{diff}_{iou}'] = ap + 5.0 + other
                        metrics[f'{p}{cls}_2D_AP40_{diff}_{iou}'] = 90.0
            out = cmd[cmd.index('--out-metrics') + 1]
            os.makedirs(osp.dirname(out), exist_ok=True)
            Path(out).write_text(json.dumps(metrics))
        else:
            raise AssertionError(f'unexpected command {cmd}')
        return 60.0

    return run


def _opts(cmd):
    return cmd[cmd.index('--cfg-options') + 1:] if '--cfg-options' in cmd else []


def test_kd_benchmark_kitti_mode_commands_checkpoint_and_table(tmp_path, monkeypatch):
    bench = _tool()
    calls = []
    monkeypatch.setattr(bench, 'run', _fake_run(calls))
    out = tmp_path / 'table'
    argv = ['--dataset', 'kitti', '--root', str(tmp_path), '--work-dir', str(tmp_path / 'work'),
            '--out', str(out), '--frames', '4', '--test-frames', '1', '--methods', 'baseline',
            'monodistill', '--seeds', '0', '1', '--splits', 'test', 'val', '--iters', '2',
            '--teacher-iters', '3', '--export-students']
    bench.main(argv)
    tools = [osp.basename(c[1]) for c in calls]
    # data: both roots generated with their world seeds and converted; no pre-training stage
    data, test_root = tmp_path / 'data' / 'synthetic-kitti-bench', \
        tmp_path / 'data' / 'synthetic-kitti-bench-test'
    assert calls[0][2:] == ['kitti', '--out', f'{data}/', '--seed', '0', '--frames', '4',
                            '--val-fraction', '0.200000']
    assert calls[1][2:] == ['kitti', '--root-path', f'{data}/', '--out-dir', f'{data}/',
                            '--extra-tag', 'kitti', '--skip-gt-database']
    # the held-out set: one train frame more than the test frames, the rest its val split
    assert calls[2][2:] == ['kitti', '--out', f'{test_root}/', '--seed', '1000', '--frames',
                            '2', '--val-fraction', '0.500000']
    assert calls[3][2] == 'kitti' and calls[3][4] == f'{test_root}/'
    trains = [c for c in calls if osp.basename(c[1]) == 'train.py']
    assert len(trains) == 5  # teacher, 2 methods x 2 seeds
    assert not any('pretrain' in a for c in calls for a in c)
    teacher_cfg = 'configs/students/monodle-depth_dla34_dlaneck_1xb4-90min_synthetic-kitti-bench-' \
        'mono3d.py'  # 1800 iterations, twice the students' schedule
    assert trains[0][2] == str(REPO / teacher_cfg)
    assert 'train_cfg.max_iters=3' in _opts(trains[0]) and 'randomness.seed=0' in _opts(trains[0])
    mono = '_1xb4-45min_synthetic-kitti-bench-mono3d.py'
    expect = [('configs/students/monodle_dla34_dlaneck' + mono, 0),
              ('configs/monodistill/monodistill_monodle-dla34_monodle-depth-dla34' + mono, 0),
              ('configs/students/monodle_dla34_dlaneck' + mono, 1),
              ('configs/monodistill/monodistill_monodle-dla34_monodle-depth-dla34' + mono, 1)]
    for cmd, (cfg, seed) in zip(trains[1:], expect):
        assert cmd[2] == str(REPO / cfg)
        assert f'randomness.seed={seed}' in _opts(cmd)
        # --iters: the iteration schedule (warm-up and cosine phases) fitted to 2 iterations
        assert {'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                'param_scheduler.1.end=2'} <= set(_opts(cmd))
    # the teacher's last checkpoint, where the distillation configs load it (under --root)
    for method in list(bench.KITTI_METHODS)[1:]:
        cfg = Config.fromfile(str(REPO / bench.KITTI_METHODS[method][0]),
                              import_custom_modules=False)
        assert cfg.teacher_ckpt == bench.DATASETS['kitti'].teacher[1]
    copied = tmp_path / bench.DATASETS['kitti'].teacher[1]
    assert copied.read_text() == f'weights of {tmp_path / "work" / "teacher"}'
    assert not list(copied.parent.glob('*.tmp'))
    # evaluation: the config's held-out split for test, the tuning split through overrides
    tests = [c for c in calls if osp.basename(c[1]) == 'test.py']
    assert len(tests) == 2 + 4 * 2
    for cmd in tests:
        split = Path(cmd[cmd.index('--work-dir') + 1]).name
        assert _opts(cmd) == (KITTI_VAL_OPTS if split == 'test_val' else [])
    # the distilled student: exported, evaluated with the baseline config
    distilled = [c for c in tests if '/monodistill/' in c[3]]
    assert distilled and all(c[2] == str(REPO / expect[0][0]) and
                             c[3].endswith('student_exported.pth') for c in distilled)
    assert tools.count('export_student.py') == 2

    runs = json.loads(out.with_suffix('.json').read_text())['runs']
    assert len(runs) == 2 + 2 * 2 * 2
    by = {(r['method'], r['seed'], r['split']): r for r in runs}
    assert by[('monodistill', 1, 'val')]['car_3d_mod'] == 22.0
    assert by[('monodistill', 1, 'val')]['car_bev_mod'] == 27.0
    assert by[('baseline', 0, 'test')]['per_class'] == dict(Pedestrian=1.0, Cyclist=2.0,
                                                            Car=10.0)
    assert by[('baseline', 0, 'test')]['world_seeds'] == dict(train=0, val=0, test=1000)
    md = out.with_suffix('.md').read_text()
    assert 'KittiMetric' in md and 'NuScenesMetric' not in md and 'R40' in md
    test_md, val_md = md.split('### test split')[1].split('### val split')
    # test: +2.5 (seed 0), -1.0 (seed 1) -> +0.75 (-1.00); val: +0.5, +1.0 -> +0.75 (+0.50)
    # (the fake's Car 3D at IoU 0.5 is the strict AP + 30)
    assert '| MonoDistill (paper setting) | 0,1 | 15.75 ± 4.60 | 20.75 ± 4.60 | 45.75 ± 4.60 | ' \
        '+0.75 (-1.00) | +0.75 | +0.75 |' in test_md
    assert '| MonoDistill (paper setting) | 0,1 | 16.75 ± 7.42 | 21.75 ± 7.42 | 46.75 ± 7.42 | ' \
        '+0.75 (+0.50) | +0.75 | +0.75 |' in val_md
    assert '| MonoDLE-DLA34 (no KD) | 0,1 | 15.00 ± 7.07 |' in test_md
    assert '| Depth-image teacher (MonoDLE-DLA34 on LiDAR depth) | 0 | 40.00 ± 0.00 |' in test_md
    assert 'ΔCar 3D AP40 mod mean (min)' in md

    # a rerun finds every stage done: nothing runs; --table-only names the missing seed
    calls.clear()
    bench.main(argv)
    assert calls == []
    bench.main(argv[:argv.index('--seeds')] + ['--seeds', '0', '1', '2', '--table-only'])
    assert calls == []
    assert '**In progress**: not run yet: baseline seed 2, monodistill seed 2.' in \
        out.with_suffix('.md').read_text()


def test_kd_benchmark_dataset_defaults_and_refused_options(capsys):
    bench = _tool()
    nus = bench.parse_args([])  # the nuScenes benchmark as before
    assert nus.methods == ['baseline', 'cmkd', 'unidistill', 'distillbev']
    assert (nus.scenes, nus.test_scenes, nus.samples, nus.val_fraction) == (40, 12, 6, 0.25)
    assert nus.work_dir == osp.join(bench.REPO, 'work_dirs', 'kd_benchmark')
    assert nus.out == osp.join(bench.REPO, 'docs', 'kd_benchmark')
    kitti = bench.parse_args(['--dataset', 'kitti'])
    assert kitti.methods == ['baseline', 'monodistill', 'monommkd']
    assert (kitti.frames, kitti.test_frames, kitti.val_fraction) == (600, 120, 0.2)
    assert kitti.work_dir == osp.join(bench.REPO, 'work_dirs', 'kd_benchmark_kitti')
    assert kitti.out == osp.join(bench.REPO, 'docs', 'kd_benchmark_kitti')
    assert kitti.scenes is None and kitti.teacher_epochs is None
    for argv, message in (
            (['--dataset', 'kitti', '--methods', 'baseline', 'cmkd'],
             '--methods cmkd: not a method of --dataset kitti; valid: baseline, monodistill, '
             'monommkd'),
            (['--methods', 'monodistill'], 'not a method of --dataset nus; valid: baseline, cmkd'),
            (['--dataset', 'kitti', '--image-size', '32', '88'],
             '--image-size is not supported for --dataset kitti'),
            (['--dataset', 'kitti', '--pretrain-iters', '2'], '--pretrain-iters is not supported'),
            (['--frames', '4'], '--frames is not supported for --dataset nus')):
        with pytest.raises(SystemExit) as exc:
            bench.parse_args(argv)
        assert exc.value.code == 2
        assert message in capsys.readouterr().err


def test_kd_benchmark_kitti_bev_mode_shares_the_data_trains_the_lidar_teacher_first(
        tmp_path, monkeypatch):
    bench = _tool()
    calls = []
    monkeypatch.setattr(bench, 'run', _fake_run(calls))
    ds = bench.DATASETS['kitti_bev']
    # one generated set for both KITTI suites: the same roots and world seeds
    settings = bench.bench_settings(ds)
    kitti = bench.bench_settings(bench.DATASETS['kitti'])
    assert {k: settings[k] for k in ('seeds', 'data_root', 'test_root')} == \
        {k: kitti[k] for k in ('seeds', 'data_root', 'test_root')}
    assert settings['classes'] == ['Pedestrian', 'Cyclist', 'Car']
    out = tmp_path / 'table'
    argv = ['--dataset', 'kitti_bev', '--root', str(tmp_path), '--work-dir',
            str(tmp_path / 'work'), '--out', str(out), '--frames', '4', '--test-frames', '1',
            '--seeds', '0', '1', '--splits', 'test', 'val', '--iters', '2', '--teacher-iters',
            '3', '--export-students']
    # the KITTI mode's data are there already (as its benchmark leaves them): not regenerated
    bench.make_data(bench.parse_args(['--dataset', 'kitti', '--root', str(tmp_path), '--work-dir',
                                      str(tmp_path / 'work_kitti'), '--frames', '4',
                                      '--test-frames', '1', '--splits', 'test']),
                    bench.DATASETS['kitti'], kitti, 0.0)
    assert [osp.basename(c[1]) for c in calls] == ['create_synthetic.py', 'create_data.py'] * 2
    calls.clear()
    bench.main(argv)
    tools = [osp.basename(c[1]) for c in calls]
    assert 'create_synthetic.py' not in tools and 'create_data.py' not in tools
    trains = [c for c in calls if osp.basename(c[1]) == 'train.py']
    assert len(trains) == 5  # the teacher, then 2 methods x 2 seeds
    bev = '_synthetic-kitti-bench-3d-3class.py'
    teacher_cfg = 'configs/pointpillars/pointpillars_hv032_secfpn_1xb4-cyclic-45min' + bev
    assert trains[0][2] == str(REPO / teacher_cfg)
    # --teacher-iters: the teacher's iteration one-cycle (4 phases) fitted to 3 iterations
    assert {'train_cfg.max_iters=3', 'train_cfg.val_interval=3', 'param_scheduler.1.end=3',
            'param_scheduler.3.end=3', 'randomness.seed=0'} <= set(_opts(trains[0]))
    expect = [('configs/students/cmkd-mono_r18_fpn_second_secfpn_1xb4-60min' + bev, 0),
              ('configs/cmkd/cmkd-kitti_cmkd-mono-r18_pointpillars-hv032_1xb4-60min' + bev, 0),
              ('configs/students/cmkd-mono_r18_fpn_second_secfpn_1xb4-60min' + bev, 1),
              ('configs/cmkd/cmkd-kitti_cmkd-mono-r18_pointpillars-hv032_1xb4-60min' + bev, 1)]
    for cmd, (cfg, seed) in zip(trains[1:], expect):
        assert cmd[2] == str(REPO / cfg)
        assert f'randomness.seed={seed}' in _opts(cmd)
        # --iters: the students' one-cycle (and its momentum phases) fitted to 2 iterations
        assert {'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'param_scheduler.0.end=2',
                'param_scheduler.2.end=2'} <= set(_opts(cmd))
    # the teacher's last checkpoint, where the CMKD config loads it (under --root), and the
    # CMKD config's teacher is the one trained here
    cmkd = Config.fromfile(str(REPO / bench.KITTI_BEV_METHODS['cmkd'][0]),
                           import_custom_modules=False)
    assert cmkd.model.teacher_ckpt == ds.teacher[1]
    assert osp.realpath(cmkd.model.teacher) == str(REPO / teacher_cfg)
    copied = tmp_path / ds.teacher[1]
    assert copied.read_text() == f'weights of {tmp_path / "work" / "teacher"}'
    # evaluation: the held-out split as configured, the tuning split through overrides
    tests = [c for c in calls if osp.basename(c[1]) == 'test.py']
    assert len(tests) == 2 + 4 * 2
    assert tests[0][2] == str(REPO / teacher_cfg)
    for cmd in tests:
        split = Path(cmd[cmd.index('--work-dir') + 1]).name
        assert _opts(cmd) == (KITTI_VAL_OPTS if split == 'test_val' else [])
    # the distilled student: exported, evaluated with the student-alone config
    distilled = [c for c in tests if '/cmkd/' in c[3]]
    assert len(distilled) == 4 and all(
        c[2] == str(REPO / expect[0][0]) and c[3].endswith('student_exported.pth')
        for c in distilled)
    assert tools.count('export_student.py') == 2

    runs = json.loads(out.with_suffix('.json').read_text())['runs']
    assert len(runs) == 2 + 2 * 2 * 2
    by = {(r['method'], r['seed'], r['split']): r for r in runs}
    assert by[('cmkd', 1, 'test')]['car_3d_mod'] == 24.0
    assert by[('teacher', 0, 'val')]['config'] == teacher_cfg
    assert by[('baseline', 1, 'val')]['per_class'] == dict(Pedestrian=1.0, Cyclist=2.0,
                                                           Car=21.0)
    md = out.with_suffix('.md').read_text()
    assert md.startswith('# KD benchmark results (KITTI, mono-BEV student, LiDAR teacher)')
    assert 'KittiMetric' in md and 'R40' in md
    test_md, val_md = md.split('### test split')[1].split('### val split')
    # test: +3.0 (seed 0), +4.0 (seed 1) -> +3.50 (+3.00); val: -1.0, +2.0 -> +0.50 (-1.00)
    assert '| CMKD (paper setting) | 0,1 | 18.50 ± 7.78 |' in test_md
    assert '+3.50 (+3.00)' in test_md and '+0.50 (-1.00)' in val_md
    assert '| CMKD mono-BEV R18 (no KD) | 0,1 | 15.00 ± 7.07 |' in test_md
    assert '| LiDAR teacher (PointPillars 0.32 m) | 0 | 40.00 ± 0.00 |' in test_md

    # a rerun finds every stage done
    calls.clear()
    bench.main(argv)
    assert calls == []


def test_kd_benchmark_kitti_bev_defaults_and_refused_options(capsys):
    bench = _tool()
    args = bench.parse_args(['--dataset', 'kitti_bev'])
    assert args.methods == ['baseline', 'cmkd']
    # the KITTI mode's data options: one generated set serves both
    kitti = bench.parse_args(['--dataset', 'kitti'])
    assert (args.frames, args.test_frames, args.val_fraction) == (
        kitti.frames, kitti.test_frames, kitti.val_fraction) == (600, 120, 0.2)
    assert args.work_dir == osp.join(bench.REPO, 'work_dirs', 'kd_benchmark_kitti_bev')
    assert args.out == osp.join(bench.REPO, 'docs', 'kd_benchmark_kitti_bev')
    assert args.teacher_iters is None and args.teacher_epochs is None
    assert bench.parse_args(['--dataset', 'kitti_bev', '--teacher-iters', '5']).teacher_iters == 5
    for argv, message in (
            (['--dataset', 'kitti_bev', '--methods', 'baseline', 'monodistill'],
             '--methods monodistill: not a method of --dataset kitti_bev; valid: baseline, cmkd'),
            (['--dataset', 'kitti_bev', '--teacher-epochs', '2'],
             '--teacher-epochs is not supported for --dataset kitti_bev'),
            (['--dataset', 'kitti_bev', '--image-size', '32', '88'],
             '--image-size is not supported for --dataset kitti_bev')):
        with pytest.raises(SystemExit) as exc:
            bench.parse_args(argv)
        assert exc.value.code == 2
        assert message in capsys.readouterr().err


@pytest.mark.parametrize('method,key,ann_file', [
    ('baseline', 'test_dataloader.dataset', 'nuscenes_infos_val.pkl'),
    # the temporal students' splits are TemporalFrames(NuScenesDataset) on the temporal infos
    ('bevdepth4d', 'test_dataloader.dataset.dataset', 'nuscenes_infos_val_temporal.pkl'),
    ('distillbev_bevformer', 'test_dataloader.dataset.dataset', 'nuscenes_infos_val_temporal.pkl'),
])
def test_kd_benchmark_val_split_of_a_wrapped_dataset(tmp_path, monkeypatch, method, key, ann_file):
    """The tuning split reaches the dataset inside a wrapper, with the infos file it reads."""
    tool, calls = _tool(), []

    def run(cmd, log_file, cwd, start):
        calls.append(list(cmd))
        out = cmd[cmd.index('--out-metrics') + 1]
        Path(out).write_text('{}')

    monkeypatch.setattr(tool, 'run', run)
    args = tool.parse_args(['--work-dir', str(tmp_path)])
    ds = tool.DATASETS['nus']
    bench = tool.bench_settings(ds)
    tool.evaluate(ds.methods[method][0], 'x.pth', str(tmp_path), 'val', bench, args, 0.0, ds)
    root = 'data/synthetic-nus-bench/'
    assert {f'{key}.data_root={root}', f'{key}.ann_file={ann_file}',
            f'test_evaluator.data_root={root}',
            f'test_evaluator.ann_file={root}nuscenes_infos_val.pkl'} <= set(_opts(calls[0]))
    # the held-out split: the config's own test loader, no override
    (tmp_path / 't').mkdir()
    tool.evaluate(ds.methods[method][0], 'x.pth', str(tmp_path / 't'), 'test', bench, args, 0.0,
                  ds)
    assert not any('data_root' in o for o in _opts(calls[1]))


def test_kd_benchmark_pairs_the_temporal_rows_with_their_students():
    ds = _tool().DATASETS['nus']
    for method, ref in ds.pairs.items():
        assert method in ds.methods and (ref is None or ref in ds.methods), method
    assert ds.pairs['distillbev_bevdepth4d_tuned'] == 'bevdepth4d'
    assert ds.pairs['distillbev_bevformer'] == 'bevformer'
    # only distillers are exported; the temporal students are plain students
    assert set(ds.students) == {'baseline', 'bevdepth4d', 'bevformer', 'bevformer_set'}
    for method, (cfg, _) in ds.methods.items():
        assert (REPO / cfg).is_file(), cfg
        is_distiller = Config.fromfile(str(REPO / cfg)).model.type == 'CrossModalDistiller'
        assert is_distiller == (method not in ds.students), method
