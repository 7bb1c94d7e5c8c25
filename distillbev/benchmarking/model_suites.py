# Copyright (c) distillbev contributors. All rights reserved.
"""``students`` and ``distill`` suites: inference and train-step time of the configs' models."""
import gc
from typing import Any, Dict, List, Sequence

import torch

from distillbev.testing import lidar_points
from .builders import (METHOD_CFGS, TEACHER_POINTS, build_model, build_student, distiller_cfg,
                       num_params, student_batch, teacher_point_cloud_range, train_step_fn)
from .timing import timed_with_memory


def _release(device: torch.device) -> None:
    """Free the previous model before the next build."""
    gc.collect()
    if device.type == 'cuda':
        torch.cuda.empty_cache()


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
            model = inputs = samples = None
            _release(device)
    return rows


def cached_distill_step(model, inputs: dict, samples: list, warmup: int, iters: int,
                        device: torch.device) -> Dict[str, Any]:
    """The distillation step with every teacher value read from a teacher-feature cache.

    The cache lives in a temporary folder, filled by one untimed step; the timed steps load
    the batch's files from disk (``torch.load``) instead of running the teacher.
    """
    import tempfile

    from distillbev.models.distillers.teacher_cache import TeacherFeatureCache
    for i, sample in enumerate(samples):
        if 'sample_idx' not in sample.metainfo:
            sample.set_metainfo(dict(sample_idx=i))
    with tempfile.TemporaryDirectory() as tmp:
        model.teacher_cache = TeacherFeatureCache(tmp)
        model.teacher_cache.set_pipeline(['tools/benchmark.py'])
        try:
            model.loss(inputs, samples)  # fills the cache
            assert model.teacher_cache.misses == 1
            timing = timed_with_memory(train_step_fn(model, inputs, samples), warmup, iters,
                                       device)
            assert model.teacher_cache.misses == 1  # every timed step was a hit
        finally:
            model.teacher_cache = None
    return timing


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
        ``loss`` + backward), ``ratio = t_distill.median / t_student.median``,
        ``t_distill_cached`` / ``ratio_cached`` (the same with a teacher-feature cache that holds
        the batch: :func:`cached_distill_step`) and
        ``kd_overhead_s = t_distill - t_student - t_teacher`` (medians: taps, adapters, targets,
        KD losses and their backward).
    """
    rows = []
    for scale in scales:
        for method in methods:
            model_cfg, cfg = distiller_cfg(method, scale)
            model = build_model(model_cfg).to(device).train()
            student = model.student
            kind = 'bevdepth' if type(student).__name__ == 'BEVDepth' else 'bevdet'
            inputs, samples = student_batch(cfg, kind, batch, device)
            pcr = teacher_point_cloud_range(model_cfg)
            inputs['points'] = [lidar_points(TEACHER_POINTS[scale], pcr, seed=i).to(device)
                                for i in range(batch)]

            def teacher_fwd():
                return model.teacher_features(inputs, samples)

            t_student = timed_with_memory(train_step_fn(student, inputs, samples), warmup,
                                          iters[scale], device)
            t_teacher = timed_with_memory(teacher_fwd, warmup, iters[scale], device)
            t_distill = timed_with_memory(train_step_fn(model, inputs, samples), warmup,
                                          iters[scale], device)
            t_cached = cached_distill_step(model, inputs, samples, warmup, iters[scale], device)
            losses = model.loss(inputs, samples)
            rows.append(dict(
                suite='distill', scale=scale, method=method, config=METHOD_CFGS[(method, scale)],
                student=type(student).__name__, teacher=type(model.teacher).__name__,
                points=TEACHER_POINTS[scale],
                input=f'{batch}x{cfg.num_views}x{cfg.final_size[0]}x{cfg.final_size[1]}',
                kd_losses=sorted(k for k in losses if k.startswith('distill.')),
                t_student=t_student, t_teacher=t_teacher, t_distill=t_distill,
                ratio=t_distill['median'] / t_student['median'], t_distill_cached=t_cached,
                ratio_cached=t_cached['median'] / t_student['median'],
                kd_overhead_s=t_distill['median'] - t_student['median'] - t_teacher['median'],
                mem_student_mib=t_student['peak_mem_mib'],
                mem_distill_mib=t_distill['peak_mem_mib'], mem_kind=t_student['mem_kind'],
                device=str(device)))
            model = inputs = samples = student = None
            _release(device)
    return rows
