# Copyright (c) distillbev contributors. All rights reserved.
"""Speed and memory benchmark of distillbev's BEV pooling, camera students and distillation step.

    python tools/benchmark.py                       # everything, CPU, default sizes
    python tools/benchmark.py --suites bev_pool --device cuda --iters 20
    python tools/benchmark.py --suites students --scales synthetic --json out.json
    python tools/benchmark.py --markdown docs/benchmark_run.md

Suites (``--suites``, all by default):

- ``bev_pool``: :func:`bev_pool` (sort + prefix-sum, pure PyTorch) against the Python-loop
  reference :func:`bev_pool_naive` on the same frustum (real camera geometry: a ring of
  cameras), forward and forward+backward (the reference's backward is the Python-loop gather
  :func:`naive_pool_grad`); median times, ``speedup = t_naive / t_pool`` and the max abs
  difference of the BEV maps (forward) or of the feature gradients (forward+backward).
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
import contextlib
import datetime
import gc
import json
import math
import os
import os.path as osp
import platform
import statistics
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from distillbev.models.view_transforms import (bev_pool, bev_pool_naive,  # noqa: E402
                                               create_frustum, frustum_to_lidar,
                                               grid_from_config)
from distillbev.models.view_transforms.bev_pool import _voxel_ranks  # noqa: E402

STUDENT_CFGS = {
    ('bevdet', 'synthetic'):
    'configs/students/bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py',
    ('bevdepth', 'synthetic'):
    'configs/students/bevdepth_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py',
    ('bevdet', 'nus'): 'configs/students/bevdet_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py',
    ('bevdepth', 'nus'): 'configs/students/bevdepth_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py',
}
METHOD_CFGS = {
    ('cmkd', 'synthetic'):
    'configs/cmkd/cmkd_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py',
    ('unidistill', 'synthetic'):
    'configs/unidistill/unidistill_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py',
    ('distillbev', 'synthetic'):
    'configs/distillbev/distillbev_bevdet-r18_centerpoint-pillar04_1xb4-12e_synthetic-nus-3d.py',
    ('cmkd', 'nus'): 'configs/cmkd/cmkd_bevdet-r50_centerpoint-voxel01_8xb8-cbgs-24e_nus-3d.py',
    ('unidistill', 'nus'):
    'configs/unidistill/unidistill_bevdet-r50_centerpoint-voxel01_8xb8-cbgs-24e_nus-3d.py',
    ('distillbev', 'nus'):
    'configs/distillbev/distillbev_bevdepth-r50_centerpoint-pillar02_8xb8-cbgs-24e_nus-3d.py',
}
# LiDAR points given to the teacher per sample (one sweep ~35k on nuScenes; x10 sweeps)
TEACHER_POINTS = {'synthetic': 30000, 'nus': 250000}

# bev_pool sizes: B, N, D, h, w, C and the grid
POOL_SCALES = {
    'small': dict(B=1, N=2, D=20, h=8, w=22, C=16,
                  grid=dict(x=[-25.6, 25.6, 0.8], y=[-25.6, 25.6, 0.8], z=[-5.0, 3.0, 8.0],
                            depth=[1.0, 21.0, 1.0]), image=(128, 352)),
    'nus': dict(B=1, N=6, D=59, h=16, w=44, C=64,
                grid=dict(x=[-51.2, 51.2, 0.8], y=[-51.2, 51.2, 0.8], z=[-5.0, 3.0, 8.0],
                          depth=[1.0, 60.0, 1.0]), image=(256, 704)),
}


# --------------------------------------------------------------------------- measurement
def sync(device: torch.device) -> None:
    """Wait for the device's queued kernels (no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def summarize(times: Sequence[float]) -> Dict[str, Any]:
    """Median / min / max (seconds) of timed iterations.

    Args:
        times (sequence[float]): seconds per iteration.

    Returns:
        dict: ``median``, ``min``, ``max`` (s), ``iters`` and the raw ``times``.
    """
    times = [float(t) for t in times]
    return dict(median=statistics.median(times), min=min(times), max=max(times),
                iters=len(times), times=times)


def time_fn(fn: Callable[[], Any], warmup: int, iters: int,
            device: torch.device = torch.device('cpu')) -> Dict[str, Any]:
    """Run ``fn`` ``warmup`` times untimed, then ``iters`` times timed (synchronised).

    Args:
        fn (callable): the work of one iteration.
        warmup (int): untimed iterations.
        iters (int): timed iterations (>= 1).
        device (torch.device): synchronised around each timed iteration.

    Returns:
        dict: see :func:`summarize`.
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return summarize(times)


def rss_bytes() -> int:
    """Current resident set size of this process in bytes (0 where /proc is unavailable)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError, IndexError):
        return 0


class MemoryMonitor:
    """Peak memory of a block: CUDA ``max_memory_allocated`` or sampled process RSS on CPU.

    Args:
        device (torch.device): where the work runs.
        interval (float): RSS sampling period in seconds (CPU).
    """

    def __init__(self, device: torch.device, interval: float = 0.01) -> None:
        self.device = device
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    @property
    def kind(self) -> str:
        return 'cuda_max_allocated' if self.device.type == 'cuda' else 'cpu_peak_rss'

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> 'MemoryMonitor':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            self.peak = rss_bytes()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device)
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, rss_bytes())


def timed_with_memory(fn: Callable[[], Any], warmup: int, iters: int,
                      device: torch.device) -> Dict[str, Any]:
    """:func:`time_fn` plus the peak memory of the timed iterations (MiB)."""
    for _ in range(warmup):
        fn()
    with MemoryMonitor(device) as mem:
        timing = time_fn(fn, 0, iters, device)
    timing.update(peak_mem_mib=mem.peak / 2**20, mem_kind=mem.kind)
    return timing


# --------------------------------------------------------------------------- inputs
def camera_ring(num_views: int, height: int, width: int) -> Dict[str, np.ndarray]:
    """nuScenes-like surround rig: ``num_views`` cameras 1.5 m up, evenly spread in yaw.

    Camera axes: x right, y down, z forward; view ``i`` looks along yaw ``2 pi i / N`` in the
    LiDAR frame. Focal length ``0.79 * width`` (nuScenes 1266 px at 1600 px).

    Returns:
        dict: ``cam2img``, ``cam2lidar``, ``lidar2cam``, ``lidar2img``, ``img_aug_matrix``
        (N, 4, 4) and ``lidar_aug_matrix`` (4, 4), float32 numpy.
    """
    cam2lidar = []
    for i in range(num_views):
        yaw = 2 * math.pi * i / num_views
        c, s = math.cos(yaw), math.sin(yaw)
        m = np.eye(4, dtype=np.float32)
        m[:3, 0], m[:3, 1], m[:3, 2] = [s, -c, 0.0], [0.0, 0.0, -1.0], [c, s, 0.0]
        m[:3, 3] = [0.0, 0.0, 1.5]
        cam2lidar.append(m)
    cam2lidar = np.stack(cam2lidar)
    k = np.eye(4, dtype=np.float32)
    k[0, 0] = k[1, 1] = 0.79 * width
    k[0, 2], k[1, 2] = width / 2, height / 2
    cam2img = np.stack([k] * num_views)
    lidar2cam = np.linalg.inv(cam2lidar).astype(np.float32)
    return dict(cam2img=cam2img, cam2lidar=cam2lidar, lidar2cam=lidar2cam,
                lidar2img=(cam2img @ lidar2cam).astype(np.float32),
                img_aug_matrix=np.tile(np.eye(4, dtype=np.float32), (num_views, 1, 1)),
                lidar_aug_matrix=np.eye(4, dtype=np.float32))


def pool_inputs(B: int, N: int, D: int, h: int, w: int, C: int, grid: dict,
                image: Sequence[int], seed: int = 0,
                device: torch.device = torch.device('cpu')):
    """Frustum features and their LiDAR xyz for :func:`bev_pool` (camera ring geometry).

    Returns:
        tuple: ``feats`` (B, N, D, h, w, C) float32 random, ``geom`` (B, N, D, h, w, 3).
    """
    gen = torch.Generator().manual_seed(seed)
    rig = camera_ring(N, *image)
    frustum = create_frustum(grid['depth'], (h, w), (image[0] / h, image[1] / w))

    def batched(key):
        return torch.from_numpy(rig[key]).unsqueeze(0).expand(B, *rig[key].shape)

    geom = frustum_to_lidar(frustum, batched('cam2img'), batched('cam2lidar'),
                            batched('img_aug_matrix'), batched('lidar_aug_matrix'))
    feats = torch.randn(B, N, D, h, w, C, generator=gen)
    return feats.to(device), geom.to(device)


def student_sample(num_views: int, height: int, width: int, with_depth: bool, seed: int = 0):
    """A ``Det3DDataSample`` with camera-ring metainfo, four GT boxes and (opt.) sparse depth."""
    from mmengine.structures import InstanceData

    from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
    rng = np.random.default_rng(seed)
    meta = camera_ring(num_views, height, width)
    meta.update(box_type_3d=LiDARInstance3DBoxes, img_shape=(height, width),
                pad_shape=(height, width), sample_idx=seed)
    sample = Det3DDataSample(metainfo=meta)
    gt = InstanceData()
    gt.bboxes_3d = LiDARInstance3DBoxes(torch.tensor(
        [[8.0, -3.0, -1.0, 4.0, 1.8, 1.6, 0.2, 0.5, 0.0],
         [-6.0, 5.0, -1.0, 4.5, 1.9, 1.7, 1.4, 0.0, 0.0],
         [3.0, 9.0, -1.0, 0.7, 0.7, 1.8, 0.0, 0.3, 0.3],
         [-10.0, -8.0, -1.0, 10.0, 2.8, 3.2, -0.7, 1.0, 0.0]]), box_dim=9)
    gt.labels_3d = torch.tensor([0, 0, 8, 3])
    sample.gt_instances_3d = gt
    if with_depth:  # ~3 % of the pixels carry a LiDAR depth
        depth = np.zeros((num_views, height, width), dtype=np.float32)
        hit = rng.random((num_views, height, width)) < 0.03
        depth[hit] = rng.uniform(2.0, 50.0, int(hit.sum()))
        sample.gt_depth = torch.from_numpy(depth)
    return sample


def lidar_points(num: int, point_cloud_range: Sequence[float], seed: int = 0) -> torch.Tensor:
    """(num, 5) points: x, y uniform over the range, z in [-2, 1] m, intensity, time 0."""
    rng = np.random.default_rng(seed)
    x0, y0, _, x1, y1, _ = point_cloud_range
    pts = np.c_[rng.uniform(x0, x1, num), rng.uniform(y0, y1, num), rng.uniform(-2.0, 1.0, num),
                rng.uniform(0.0, 1.0, num), np.zeros(num)]
    return torch.from_numpy(pts.astype(np.float32))


# --------------------------------------------------------------------------- bev_pool
def naive_pool_grad(geom: torch.Tensor, grad_out: torch.Tensor, grid: dict) -> torch.Tensor:
    """Reference backward of BEV pooling with a Python loop over points (CPU, slow).

    The gradient of a sum-pool w.r.t. a point's features is the output gradient at the point's
    cell (0 outside the grid). Autograd through :func:`bev_pool_naive` itself is unusable as a
    reference timing: each in-place ``+=`` of its loop saves a copy of the whole output, i.e.
    O(points x cells) work.

    Args:
        geom (Tensor): (B, ..., 3) xyz of the points.
        grad_out (Tensor): (B, C * nz, ny, nx) gradient of the BEV map.
        grid (dict): ``x``, ``y``, ``z`` as ``[min, max, step]``.

    Returns:
        Tensor: (B, ..., C) float32 gradient of the point features.
    """
    lower, interval, (nx, ny, nz) = grid_from_config(grid)
    lo, step = lower.tolist(), interval.tolist()
    batch = geom.shape[0]
    channels = grad_out.shape[1] // nz
    g = grad_out.double().reshape(batch, nz, channels, ny, nx)
    pts = geom.reshape(batch, -1, 3).double()
    out = torch.zeros(batch, pts.shape[1], channels, dtype=torch.float64)
    for b in range(batch):
        for p in range(pts.shape[1]):
            x, y, z = pts[b, p].tolist()
            ix = math.floor((x - lo[0]) / step[0])
            iy = math.floor((y - lo[1]) / step[1])
            iz = math.floor((z - lo[2]) / step[2])
            if 0 <= ix < nx and 0 <= iy < ny and 0 <= iz < nz:
                out[b, p] = g[b, iz, :, iy, ix]
    return out.reshape(*geom.shape[:-1], channels).float()


def bench_bev_pool(scales: Sequence[str], device: torch.device, warmup: int, iters: int,
                   naive_iters: int = 1, backward: bool = True) -> List[Dict[str, Any]]:
    """``bev_pool`` vs ``bev_pool_naive`` on the same inputs.

    The naive reference runs on CPU only (Python loop over points); its figures are CPU times
    even with ``--device cuda`` (the pool's are on ``device``).

    Args:
        scales (list[str]): keys of ``POOL_SCALES`` (or dicts with the same fields).
        device (torch.device): device of :func:`bev_pool`.
        warmup (int): untimed iterations of :func:`bev_pool`.
        iters (int): timed iterations of :func:`bev_pool`.
        naive_iters (int): timed iterations of the reference (no warm-up: a warm-up is pointless
            for a Python loop and costs seconds).
        backward (bool): also time forward+backward (gradient w.r.t. the features).

    Returns:
        list[dict]: one row per (scale, pass) with ``t_pool``, ``t_naive`` (see
        :func:`summarize`), ``speedup = t_naive.median / t_pool.median`` and ``max_abs_diff``.
    """
    rows = []
    for scale in scales:
        spec = POOL_SCALES[scale] if isinstance(scale, str) else scale
        name = scale if isinstance(scale, str) else spec.get('name', 'custom')
        feats, geom = pool_inputs(spec['B'], spec['N'], spec['D'], spec['h'], spec['w'],
                                  spec['C'], spec['grid'], spec['image'], device=device)
        feats_cpu, geom_cpu = feats.cpu(), geom.cpu()
        grid = spec['grid']
        shape = (f"B{spec['B']} N{spec['N']} D{spec['D']} {spec['h']}x{spec['w']} "
                 f"C{spec['C']}")
        ref = bev_pool_naive(feats_cpu, geom_cpu, grid)
        out = bev_pool(feats, geom, grid)
        num_points = geom.shape[:-1].numel()
        inside = int(_voxel_ranks(geom_cpu, grid)[0].numel())
        common = dict(suite='bev_pool', scale=name, shape=shape, points=num_points,
                      points_in_grid=inside, bev=f'{out.shape[-2]}x{out.shape[-1]}',
                      device=str(device))
        t_pool = time_fn(lambda: bev_pool(feats, geom, grid), warmup, iters, device)
        t_naive = time_fn(lambda: bev_pool_naive(feats_cpu, geom_cpu, grid), 0, naive_iters)
        rows.append(dict(common, **{'pass': 'fwd'}, t_pool=t_pool, t_naive=t_naive,
                         speedup=t_naive['median'] / t_pool['median'],
                         max_abs_diff=float((out.cpu() - ref).abs().max())))
        if not backward:
            continue
        grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
        g_dev = grad_out.to(device)

        def pool_fwd_bwd():
            f = feats.detach().requires_grad_(True)
            (bev_pool(f, geom, grid) * g_dev).sum().backward()
            return f.grad

        def naive_fwd_bwd():
            bev_pool_naive(feats_cpu, geom_cpu, grid)
            return naive_pool_grad(geom_cpu, grad_out, grid)

        grad = pool_fwd_bwd()
        grad_ref = naive_fwd_bwd()
        t_pool = time_fn(pool_fwd_bwd, warmup, iters, device)
        t_naive = time_fn(naive_fwd_bwd, 0, naive_iters)
        rows.append(dict(common, **{'pass': 'fwd+bwd'}, t_pool=t_pool, t_naive=t_naive,
                         speedup=t_naive['median'] / t_pool['median'],
                         max_abs_diff=float((grad.cpu() - grad_ref).abs().max())))
    return rows


# --------------------------------------------------------------------------- models
@contextlib.contextmanager
def mmdet3d_scope():
    """Build in mmdet3d's registry scope (as a config with ``default_scope='mmdet3d'``)."""
    import distillbev  # noqa: F401  (registers the modules)
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        yield


@contextlib.contextmanager
def quiet_logger():
    """Silence mmengine's INFO/WARNING lines (init_weights report, random-teacher warning)."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('ERROR')
    try:
        yield
    finally:
        logger.setLevel(level)


def student_model_cfg(kind: str, scale: str):
    """The student's model config with ``init_cfg=None`` on the image backbone, and the config.

    Returns:
        tuple: ``(model_cfg, cfg)`` (mmengine ``ConfigDict`` / ``Config``).
    """
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, STUDENT_CFGS[(kind, scale)]))
    model = cfg.model
    model.img_backbone.init_cfg = None
    return model, cfg


def build_student(kind: str, scale: str, device: torch.device):
    """Build a student from ``configs/students`` (random init, nothing downloaded).

    Returns:
        tuple: ``(model, cfg)``.
    """
    from mmdet3d.registry import MODELS
    model_cfg, cfg = student_model_cfg(kind, scale)
    with mmdet3d_scope(), quiet_logger():
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model.to(device), cfg


def student_batch(cfg, kind: str, batch: int, device: torch.device, seed: int = 0):
    """Preprocessed-style inputs ``dict(imgs=(B, N, 3, H, W))`` and data samples."""
    height, width = cfg.final_size
    num_views = cfg.num_views
    gen = torch.Generator().manual_seed(seed)
    imgs = torch.randn(batch, num_views, 3, height, width, generator=gen).to(device)
    samples = [student_sample(num_views, height, width, kind == 'bevdepth', seed + i)
               for i in range(batch)]
    return dict(imgs=imgs), [s.to(device) for s in samples]


def num_params(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def train_step_fn(model, inputs: dict, samples: list) -> Callable[[], float]:
    """One train step: ``loss()`` -> parse_losses -> ``backward()`` (grads reset each time)."""

    def step():
        model.zero_grad(set_to_none=True)
        losses = model.loss(inputs, samples)
        total, _ = model.parse_losses(losses)
        total.backward()
        return float(total.detach())

    return step


def bench_students(kinds: Sequence[str], scales: Sequence[str], device: torch.device,
                   warmup: int, iters: Dict[str, int], batch: int = 1) -> List[Dict[str, Any]]:
    """Inference (``mode='tensor'``) and train-step time of the students.

    Args:
        kinds (list[str]): ``'bevdet'``, ``'bevdepth'``.
        scales (list[str]): ``'synthetic'`` (R18, 6 x 128x352), ``'nus'`` (R50, 6 x 256x704).
        device (torch.device): device.
        warmup (int): untimed iterations.
        iters (dict): timed iterations per scale.
        batch (int): samples per batch.

    Returns:
        list[dict]: one row per (scale, student) with ``t_fwd``, ``t_train`` and peak memory.
    """
    rows = []
    for scale in scales:
        for kind in kinds:
            model, cfg = build_student(kind, scale, device)
            inputs, samples = student_batch(cfg, kind, batch, device)
            height, width = cfg.final_size
            vt = model.img_view_transformer
            row = dict(suite='students', scale=scale, model=type(model).__name__,
                       backbone=f'R{cfg.model.img_backbone.depth}',
                       with_cp=bool(cfg.model.img_backbone.get('with_cp', False)),
                       input=f'{batch}x{cfg.num_views}x{height}x{width}',
                       bev=f'{vt.bev_shape[0]}x{vt.bev_shape[1]}', params_m=num_params(model),
                       device=str(device))
            model.eval()

            def infer():
                with torch.no_grad():
                    return model(inputs, samples, mode='tensor')

            fwd = timed_with_memory(infer, warmup, iters[scale], device)
            model.train()
            train = timed_with_memory(train_step_fn(model, inputs, samples), warmup,
                                      iters[scale], device)
            row.update(t_fwd=fwd, t_train=train, mem_fwd_mib=fwd['peak_mem_mib'],
                       mem_train_mib=train['peak_mem_mib'], mem_kind=fwd['mem_kind'])
            rows.append(row)
            model = inputs = samples = None  # free before the next build
            gc.collect()
            if device.type == 'cuda':
                torch.cuda.empty_cache()
    return rows


def distiller_cfg(method: str, scale: str):
    """A method config's ``CrossModalDistiller``, ready to build without checkpoints.

    The model of ``configs/<method>/...`` (``METHOD_CFGS``) as a user trains it: same student,
    teacher, taps, adapters, KD targets and losses; only ``teacher_ckpt=None`` with
    ``allow_random_teacher=True`` (timing does not need trained weights) and
    ``init_cfg=None`` on the image backbone (nothing downloads).

    Returns:
        tuple: ``(model_cfg, cfg)`` (mmengine ``ConfigDict`` / ``Config``).
    """
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, METHOD_CFGS[(method, scale)]))
    model = cfg.model
    model.teacher_ckpt = None
    model.allow_random_teacher = True
    model.student.img_backbone.init_cfg = None
    return model, cfg


def teacher_point_cloud_range(model_cfg) -> List[float]:
    """The voxelisation range of a distiller config's teacher (a dict or a config path)."""
    from mmengine.config import Config

    from distillbev.models.distillers.teacher import resolve_config_path
    teacher = model_cfg.teacher
    if isinstance(teacher, str):
        teacher = Config.fromfile(resolve_config_path(teacher)).model
    return list(teacher.data_preprocessor.voxel_layer.point_cloud_range)


def bench_distill(methods: Sequence[str], scales: Sequence[str], device: torch.device,
                  warmup: int, iters: Dict[str, int], batch: int = 1) -> List[Dict[str, Any]]:
    """Distillation step of the method configs vs the student-only step on the same batch.

    Args:
        methods (list[str]): ``'cmkd'``, ``'unidistill'``, ``'distillbev'`` (``METHOD_CFGS``).
        scales (list[str]): ``'synthetic'`` (the generated-data configs) or ``'nus'``.
        device (torch.device): device.
        warmup (int): untimed iterations.
        iters (dict): timed iterations per scale.
        batch (int): samples per batch.

    Returns:
        list[dict]: one row per (scale, method): ``t_student`` (student ``loss`` + backward),
        ``t_teacher`` (teacher forward to its last tap, ``no_grad``), ``t_distill`` (distiller
        ``loss`` + backward), ``ratio = t_distill.median / t_student.median`` and
        ``kd_overhead_s = t_distill - t_student - t_teacher`` (medians: taps, adapters, targets,
        KD losses and their backward).
    """
    from mmdet3d.registry import MODELS
    rows = []
    for scale in scales:
        for method in methods:
            model_cfg, cfg = distiller_cfg(method, scale)
            with mmdet3d_scope(), quiet_logger():
                model = MODELS.build(model_cfg)
                model.init_weights()
            model.to(device).train()
            student = model.student
            kind = 'bevdepth' if type(student).__name__ == 'BEVDepth' else 'bevdet'
            inputs, samples = student_batch(cfg, kind, batch, device)
            pcr = teacher_point_cloud_range(model_cfg)
            inputs['points'] = [lidar_points(TEACHER_POINTS[scale], pcr, seed=i).to(device)
                                for i in range(batch)]

            def teacher_fwd():
                return model._teacher_features(inputs, samples)

            t_student = timed_with_memory(train_step_fn(student, inputs, samples), warmup,
                                          iters[scale], device)
            t_teacher = timed_with_memory(teacher_fwd, warmup, iters[scale], device)
            t_distill = timed_with_memory(train_step_fn(model, inputs, samples), warmup,
                                          iters[scale], device)
            losses = model.loss(inputs, samples)
            rows.append(dict(
                suite='distill', scale=scale, method=method, config=METHOD_CFGS[(method, scale)],
                student=type(student).__name__, teacher=type(model.teacher).__name__,
                points=TEACHER_POINTS[scale],
                input=f'{batch}x{cfg.num_views}x{cfg.final_size[0]}x{cfg.final_size[1]}',
                kd_losses=sorted(k for k in losses if k.startswith('distill.')),
                t_student=t_student, t_teacher=t_teacher, t_distill=t_distill,
                ratio=t_distill['median'] / t_student['median'],
                kd_overhead_s=t_distill['median'] - t_student['median'] - t_teacher['median'],
                mem_student_mib=t_student['peak_mem_mib'],
                mem_distill_mib=t_distill['peak_mem_mib'], mem_kind=t_student['mem_kind'],
                device=str(device)))
            model = inputs = samples = student = None  # free before the next build
            gc.collect()
            if device.type == 'cuda':
                torch.cuda.empty_cache()
    return rows


# --------------------------------------------------------------------------- report
def fmt_t(timing: Dict[str, Any]) -> str:
    """``median [min-max]`` in ms, or s above 10 s."""
    med, lo, hi = timing['median'], timing['min'], timing['max']
    if med >= 10:
        return f'{med:.2f} s [{lo:.2f}-{hi:.2f}] (n={timing["iters"]})'
    return f'{med * 1e3:.1f} ms [{lo * 1e3:.1f}-{hi * 1e3:.1f}] (n={timing["iters"]})'


def tables(rows: Sequence[Dict[str, Any]]) -> Dict[str, List[List[str]]]:
    """Rows -> ``suite -> [header, *lines]`` of strings."""
    out: Dict[str, List[List[str]]] = {}
    for r in rows:
        if r['suite'] == 'bev_pool':
            head = ['scale', 'pass', 'shape', 'points (in grid)', 'BEV', 'bev_pool',
                    'naive (CPU)', 'speedup', 'max abs diff']
            line = [r['scale'], r['pass'], r['shape'], f"{r['points']} ({r['points_in_grid']})",
                    r['bev'], fmt_t(r['t_pool']), fmt_t(r['t_naive']), f"{r['speedup']:.0f}x",
                    f"{r['max_abs_diff']:.2e}"]
        elif r['suite'] == 'students':
            mem = 'peak CUDA alloc' if r['mem_kind'] == 'cuda_max_allocated' else 'peak RSS'
            head = ['scale', 'model', 'backbone', 'input BxNxHxW', 'BEV', 'params (M)',
                    'inference (tensor)', 'train step (loss+bwd)',
                    f'{mem} inf / train (MiB)']
            line = [r['scale'], r['model'],
                    r['backbone'] + (' (with_cp)' if r['with_cp'] else ''), r['input'],
                    r['bev'], f"{r['params_m']:.1f}", fmt_t(r['t_fwd']), fmt_t(r['t_train']),
                    f"{r['mem_fwd_mib']:.0f} / {r['mem_train_mib']:.0f}"]
        else:
            mem = 'peak CUDA alloc' if r['mem_kind'] == 'cuda_max_allocated' else 'peak RSS'
            head = ['scale', 'method', 'student', 'teacher (points)', 'student step', 'teacher fwd',
                    'distill step', 'ratio distill/student', 'KD overhead',
                    f'{mem} student / distill (MiB)']
            line = [r['scale'], r['method'], r['student'], f"{r['teacher']} ({r['points']})",
                    fmt_t(r['t_student']), fmt_t(r['t_teacher']), fmt_t(r['t_distill']),
                    f"{r['ratio']:.2f}", f"{r['kd_overhead_s'] * 1e3:.0f} ms",
                    f"{r['mem_student_mib']:.0f} / {r['mem_distill_mib']:.0f}"]
        out.setdefault(r['suite'], [head]).append(line)
    return out


def text_table(table: List[List[str]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ['  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def markdown_table(table: List[List[str]]) -> str:
    lines = ['| ' + ' | '.join(table[0]) + ' |', '|' + '---|' * len(table[0])]
    lines += ['| ' + ' | '.join(row) + ' |' for row in table[1:]]
    return '\n'.join(lines)


def environment(device: torch.device) -> Dict[str, Any]:
    """Versions, machine and thread settings recorded with the results."""
    import mmcv
    import mmdet
    import mmdet3d
    import mmengine
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [ln.split(':', 1)[1].strip() for ln in f if ln.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    env = dict(date=datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
               python=platform.python_version(), torch=torch.__version__,
               mmcv=mmcv.__version__, mmdet=mmdet.__version__, mmdet3d=mmdet3d.__version__,
               mmengine=mmengine.__version__, numpy=np.__version__, platform=platform.platform(),
               cpu=cpu, cpu_count=os.cpu_count(), torch_threads=torch.get_num_threads(),
               torch_interop_threads=torch.get_num_interop_threads(), device=str(device))
    try:
        env['loadavg_start'] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        pass
    if device.type == 'cuda':
        env['gpu'] = torch.cuda.get_device_name(device)
        env['cuda'] = torch.version.cuda
    return env


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--suites', nargs='+', default=['bev_pool', 'students', 'distill'],
                        choices=['bev_pool', 'students', 'distill'])
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:<i>'")
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads (default: torch\'s default)')
    parser.add_argument('--pool-scales', nargs='+', default=['small', 'nus'],
                        choices=sorted(POOL_SCALES))
    parser.add_argument('--scales', nargs='+', default=['synthetic', 'nus'],
                        choices=['synthetic', 'nus'], help='student / distillation sizes')
    parser.add_argument('--students', nargs='+', default=['bevdet', 'bevdepth'],
                        choices=['bevdet', 'bevdepth'])
    parser.add_argument('--methods', nargs='+', default=['cmkd', 'unidistill', 'distillbev'],
                        choices=['cmkd', 'unidistill', 'distillbev'],
                        help='distill suite: the method configs to time (METHOD_CFGS)')
    parser.add_argument('--distill-scales', nargs='+', default=None,
                        choices=['synthetic', 'nus'], help='default: --scales')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=5,
                        help='timed iterations (bev_pool, synthetic-scale models)')
    parser.add_argument('--iters-nus', type=int, default=2,
                        help='timed iterations of the nuScenes-scale models')
    parser.add_argument('--naive-iters', type=int, default=1,
                        help='timed iterations of the Python-loop reference')
    parser.add_argument('--no-backward', action='store_true', help='bev_pool: forward only')
    parser.add_argument('--json', help='write the rows and the environment as JSON')
    parser.add_argument('--markdown', help='write the environment and tables as markdown')
    return parser.parse_args(argv)


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
    iters = dict(synthetic=args.iters, nus=args.iters_nus)
    rows: List[Dict[str, Any]] = []
    start = time.perf_counter()
    if 'bev_pool' in args.suites:
        rows += bench_bev_pool(args.pool_scales, device, args.warmup, args.iters,
                               args.naive_iters, backward=not args.no_backward)
    if 'students' in args.suites:
        rows += bench_students(args.students, args.scales, device, args.warmup, iters,
                               args.batch)
    if 'distill' in args.suites:
        rows += bench_distill(args.methods, args.distill_scales or args.scales,
                              device, args.warmup, iters, args.batch)
    env['total_wall_s'] = round(time.perf_counter() - start, 1)
    try:
        env['loadavg_end'] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        pass
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


def to_markdown(result: Dict[str, Any]) -> str:
    """Environment list and one table per suite."""
    env = result['environment']
    lines = ['Environment:', '']
    lines += [f'- {k}: {v}' for k, v in env.items()]
    for suite, table in tables(result['rows']).items():
        lines += ['', f'`{suite}`:', '', markdown_table(table)]
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    main()
