# Copyright (c) distillbev contributors. All rights reserved.
"""Shared fixtures: one tiny generated nuScenes-layout and KITTI-layout dataset per test session
(used by tests/test_datasets/test_synthetic and tests/test_tools)."""
import os

import pytest

# KittiMetric computes rotated IoUs with numba CUDA kernels; without a GPU `import distillbev`
# replaces them with exact CPU overlaps (distillbev.evaluation). The simulator only keeps
# numba.cuda importable (set before numba.cuda is first imported).
try:
    import torch
    if not torch.cuda.is_available():
        os.environ.setdefault('NUMBA_ENABLE_CUDASIM', '1')
    # `make test` runs pytest-xdist workers side by side: share the cores instead of each worker
    # taking all of them (oversubscribed OpenMP threads slow every worker down)
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    if workers > 1:
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // workers))
except ImportError:  # pragma: no cover
    pass

from distillbev.datasets.synthetic import generate_kitti, generate_nuscenes

NUS_SEED = 3
KITTI_SEED = 5


@pytest.fixture(scope='session')
def synthetic_nus(tmp_path_factory):
    """2 scenes (1 train, 1 val) x 3 keyframes, 2 LiDAR sweeps between keyframes."""
    root = tmp_path_factory.mktemp('synth_nus')
    summary = generate_nuscenes(
        str(root), num_scenes=2, samples_per_scene=3, seed=NUS_SEED, val_fraction=0.5,
        test_scenes=0, lidar_sweeps=2, keep_worlds=True)
    return str(root), summary


@pytest.fixture(scope='session')
def synthetic_nus_infos(synthetic_nus):
    pytest.importorskip('mmcv.ops')
    from distillbev.datasets.synthetic import run_nuscenes_converter
    root, _ = synthetic_nus
    return run_nuscenes_converter(root, version='v1.0-trainval', info_prefix='nuscenes',
                                  max_sweeps=10)


@pytest.fixture(scope='session')
def synthetic_kitti(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth_kitti')
    summary = generate_kitti(str(root), num_frames=6, seed=KITTI_SEED, val_fraction=0.5,
                             test_frames=1)
    return str(root), summary


@pytest.fixture(scope='session')
def synthetic_kitti_infos(synthetic_kitti):
    pytest.importorskip('mmcv.ops')
    from distillbev.datasets.synthetic import run_kitti_converter
    root, _ = synthetic_kitti
    return run_kitti_converter(root, info_prefix='kitti')
