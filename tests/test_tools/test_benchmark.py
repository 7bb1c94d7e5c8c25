# Copyright (c) distillbev contributors. All rights reserved.
"""tools/benchmark.py on tiny sizes: the reported quantities are consistent (no timing limits)."""
import importlib.util
import json
import os.path as osp
from pathlib import Path

import pytest
import torch

from distillbev.benchmarking import builders, pool_suite
from distillbev.benchmarking import timing as probes
from distillbev.models.view_transforms import bev_pool
from distillbev.testing import camera_ring, pool_inputs

_spec = importlib.util.spec_from_file_location(
    'benchmark', Path(__file__).parents[2] / 'tools' / 'benchmark.py')
benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark)

TINY_POOL = dict(name='tiny', B=1, N=2, D=4, h=2, w=4, C=3,
                 grid=dict(x=[-8.0, 8.0, 0.8], y=[-8.0, 8.0, 0.8], z=[-5.0, 3.0, 8.0],
                           depth=[1.0, 17.0, 4.0]), image=(32, 64))


def test_summarize_median_and_spread():
    s = probes.summarize([0.3, 0.1, 0.2, 0.5])
    assert s['median'] == pytest.approx(0.25)
    assert (s['min'], s['max'], s['iters']) == (0.1, 0.5, 4)


def test_time_fn_counts_warmup_and_iters():
    calls = []
    s = probes.time_fn(lambda: calls.append(1), warmup=2, iters=3)
    assert len(calls) == 5 and s['iters'] == 3 and len(s['times']) == 3
    assert s['min'] <= s['median'] <= s['max']
    with pytest.raises(ValueError):
        probes.time_fn(lambda: None, 0, 0)


def test_camera_ring_geometry():
    rig = camera_ring(6, 32, 64)
    assert rig['cam2img'].shape == (6, 4, 4) and rig['cam2img'][0, 0, 0] == pytest.approx(50.56)
    # view 1 looks along yaw 60 deg: its optical axis (camera z) in the LiDAR frame
    assert rig['cam2lidar'][1, :3, 2] == pytest.approx([0.5, 3 ** 0.5 / 2, 0.0], abs=1e-6)
    assert rig['lidar2img'] == pytest.approx(rig['cam2img'] @ rig['lidar2cam'], abs=1e-4)
    # a point 10 m ahead of view 0 (LiDAR +x) projects to the image centre at depth 10
    p = rig['lidar2img'][0] @ [10.0, 0.0, 1.5, 1.0]
    assert p[:2] / p[2] == pytest.approx([32.0, 16.0], abs=1e-4) and p[2] == pytest.approx(10)


def test_naive_pool_grad_matches_autograd():
    feats, geom = pool_inputs(**{k: v for k, v in TINY_POOL.items() if k != 'name'})
    grad_out = torch.randn(1, 3, 20, 20)
    f = feats.clone().requires_grad_(True)
    (bev_pool(f, geom, TINY_POOL['grid']) * grad_out).sum().backward()
    ref = pool_suite.naive_pool_grad(geom, grad_out, TINY_POOL['grid'])
    assert ref.shape == feats.shape
    assert torch.allclose(f.grad, ref, atol=1e-6)
    assert (ref == 0).all(-1).any()  # points outside the grid get no gradient


def test_bench_bev_pool_rows_are_consistent():
    rows = benchmark.bench_bev_pool([TINY_POOL], torch.device('cpu'), warmup=1, iters=2)
    assert [r['pass'] for r in rows] == ['fwd', 'fwd+bwd']
    for r in rows:
        assert r['speedup'] == pytest.approx(r['t_naive']['median'] / r['t_pool']['median'])
        assert r['t_pool']['iters'] == 2 and r['t_naive']['iters'] == 1
        assert r['max_abs_diff'] < 1e-5
        assert r['points'] == 2 * 4 * 2 * 4 and 0 < r['points_in_grid'] <= r['points']
        assert r['bev'] == '20x20'
    table = benchmark.tables(rows)['bev_pool']
    assert len(table) == 3 and table[1][7] == f"{rows[0]['speedup']:.0f}x"


def test_distill_row_ratio_and_tables(tmp_path):
    timing = probes.summarize
    row = dict(suite='distill', scale='synthetic', method='cmkd', student='BEVDet',
               teacher='CP', points=10,
               t_student=timing([2.0, 2.2]), t_teacher=timing([0.5]),
               t_distill=timing([3.0, 3.3]), mem_student_mib=100.0, mem_distill_mib=120.0,
               mem_kind='cpu_peak_rss')
    row['ratio'] = row['t_distill']['median'] / row['t_student']['median']
    row['kd_overhead_s'] = 3.15 - 2.1 - 0.5
    line = benchmark.tables([row])['distill'][1]
    assert line[7] == '1.50' and line[8] == '550 ms'
    md = benchmark.to_markdown(dict(environment=dict(torch='x'), rows=[row]))
    assert '| synthetic | cmkd | BEVDet |' in md and '- torch: x' in md


def test_memory_monitor_cpu():
    with probes.MemoryMonitor(torch.device('cpu'), interval=0.001) as mem:
        x = torch.ones(8 * 2**20)  # 32 MiB
        x += 1
    assert mem.kind == 'cpu_peak_rss'
    assert mem.peak >= probes.rss_bytes() - 64 * 2**20 and mem.peak > 0


def test_main_bev_pool_only_writes_json_and_markdown(tmp_path, monkeypatch):
    monkeypatch.setitem(benchmark.POOL_SCALES, 'small', TINY_POOL)
    out = benchmark.main(['--suites', 'bev_pool', '--pool-scales', 'small', '--iters', '1',
                          '--warmup', '0', '--json', str(tmp_path / 'r.json'),
                          '--markdown', str(tmp_path / 'r.md')])
    data = json.loads((tmp_path / 'r.json').read_text())
    assert data['environment']['torch_threads'] == torch.get_num_threads()
    assert len(data['rows']) == 2 == len(out['rows'])
    assert '`bev_pool`:' in (tmp_path / 'r.md').read_text()


def test_distiller_cfg_is_the_method_config():
    """The timed model is the method config's distiller, only without checkpoints."""
    pytest.importorskip('mmcv.ops')
    from mmengine.config import Config
    model, cfg = builders.distiller_cfg('distillbev', 'synthetic')
    orig = Config.fromfile(osp.join(benchmark.REPO,
                                    benchmark.METHOD_CFGS[('distillbev', 'synthetic')])).model
    assert model.teacher_ckpt is None and model.allow_random_teacher
    assert model.student.img_backbone.init_cfg is None
    for key in ('teacher', 'student_taps', 'teacher_taps', 'adapters', 'kd_targets',
                'distill_losses'):
        assert model[key] == orig[key], key
    assert builders.teacher_point_cloud_range(model) == [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
    for (method, scale), path in benchmark.METHOD_CFGS.items():
        assert path.startswith(f'configs/{method}/{method}_')
        assert path.endswith('_synthetic-nus-3d.py') == (scale == 'synthetic'), path


def test_bench_distill_synthetic_one_iteration():
    """Times the synthetic CMKD config and checks ratio/overhead against its timings."""
    pytest.importorskip('mmcv.ops')
    monkey_points = builders.TEACHER_POINTS['synthetic']
    builders.TEACHER_POINTS['synthetic'] = 2000
    try:
        row, = benchmark.bench_distill(['cmkd'], ['synthetic'], torch.device('cpu'), warmup=0,
                                       iters=dict(synthetic=1))
    finally:
        builders.TEACHER_POINTS['synthetic'] = monkey_points
    _, cfg = builders.distiller_cfg('cmkd', 'synthetic')
    assert row['kd_losses'] == sorted('distill.' + k for k in cfg.model.distill_losses)
    assert row['method'] == 'cmkd' and row['teacher'] == 'CenterPoint'
    assert row['ratio'] == pytest.approx(row['t_distill']['median'] / row['t_student']['median'])
    assert row['kd_overhead_s'] == pytest.approx(
        row['t_distill']['median'] - row['t_student']['median'] - row['t_teacher']['median'])
    assert row['input'] == '1x6x128x352' and row['points'] == 2000
    # the same step with the batch's teacher values read from a teacher-feature cache
    assert row['ratio_cached'] == pytest.approx(
        row['t_distill_cached']['median'] / row['t_student']['median'])
    assert benchmark.tables([row])['distill'][1][10] == f"{row['ratio_cached']:.2f}"


def test_bench_bev_pool_peers_rows():
    """Every variant is timed in both passes, agrees with the reference and is deterministic."""
    from distillbev.benchmarking import VARIANTS, bench_bev_pool_peers
    rows = bench_bev_pool_peers([TINY_POOL], torch.device('cpu'), warmup=0, iters=1)
    assert [(r['pass'], r['variant']) for r in rows] == [
        (p, v) for p in ('fwd', 'fwd+bwd') for v in VARIANTS]
    for r in rows:
        assert r['max_abs_diff'] < 1e-5 and r['deterministic'], r['variant']
        assert r['speedup'] == pytest.approx(
            next(b for b in rows if b['pass'] == r['pass']
                 and b['variant'] == 'outer+sort_prefix_sum')['t']['median'] / r['t']['median'])
    table = benchmark.tables(rows)['bev_pool_peers']
    assert len(table) == 1 + len(rows) and table[1][4] == 'outer+sort_prefix_sum'
    assert table[1][8] == 'yes'


def test_tool_imports_no_private_name():
    import ast
    tree = ast.parse((Path(__file__).parents[2] / 'tools' / 'benchmark.py').read_text())
    names = [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             for a in node.names]
    assert names and not [n for n in names if n.startswith('_')]
