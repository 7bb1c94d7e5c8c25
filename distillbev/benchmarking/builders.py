# Copyright (c) distillbev contributors. All rights reserved.
"""Models and batches of the ``students`` and ``distill`` suites, built from the repo configs.

Nothing downloads: image backbones get ``init_cfg=None`` and teachers random weights.
"""
import contextlib
import os.path as osp
from typing import Callable, Dict, Iterator, List, Tuple

import numpy as np
import torch

from distillbev.testing import camera_ring, multiview_data_sample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.realpath(__file__))))
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
# GT boxes of the benchmark samples (x, y, z, dx, dy, dz, yaw, vx, vy) and their labels
SAMPLE_BOXES = ((8.0, -3.0, -1.0, 4.0, 1.8, 1.6, 0.2, 0.5, 0.0),
                (-6.0, 5.0, -1.0, 4.5, 1.9, 1.7, 1.4, 0.0, 0.0),
                (3.0, 9.0, -1.0, 0.7, 0.7, 1.8, 0.0, 0.3, 0.3),
                (-10.0, -8.0, -1.0, 10.0, 2.8, 3.2, -0.7, 1.0, 0.0))
SAMPLE_LABELS = (0, 0, 8, 3)


@contextlib.contextmanager
def mmdet3d_scope() -> Iterator[None]:
    """Build in mmdet3d's registry scope (as a config with ``default_scope='mmdet3d'``)."""
    import distillbev  # noqa: F401  (registers the modules)
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        yield


@contextlib.contextmanager
def quiet_logger() -> Iterator[None]:
    """Silence mmengine's INFO/WARNING lines (init_weights report, random-teacher warning)."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('ERROR')
    try:
        yield
    finally:
        logger.setLevel(level)


def build_model(model_cfg) -> torch.nn.Module:
    """``MODELS.build`` + ``init_weights`` in mmdet3d's scope, quietly."""
    from mmdet3d.registry import MODELS
    with mmdet3d_scope(), quiet_logger():
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model


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
    model_cfg, cfg = student_model_cfg(kind, scale)
    return build_model(model_cfg).to(device), cfg


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


def student_sample(num_views: int, height: int, width: int, with_depth: bool, seed: int = 0):
    """A data sample: camera ring, the four :data:`SAMPLE_BOXES` and (opt.) sparse depth.

    With ``with_depth`` about 3 % of the pixels carry a LiDAR depth in [2, 50] m.

    Returns:
        Det3DDataSample: see :func:`~distillbev.testing.multiview_data_sample`.
    """
    gt_depth = None
    if with_depth:
        rng = np.random.default_rng(seed)
        depth = np.zeros((num_views, height, width), dtype=np.float32)
        hit = rng.random((num_views, height, width)) < 0.03
        depth[hit] = rng.uniform(2.0, 50.0, int(hit.sum()))
        gt_depth = torch.from_numpy(depth)
    return multiview_data_sample(camera_ring(num_views, height, width), SAMPLE_BOXES,
                                 SAMPLE_LABELS, gt_depth, img_shape=(height, width),
                                 pad_shape=(height, width), sample_idx=seed)


def student_batch(cfg, kind: str, batch: int, device: torch.device,
                  seed: int = 0) -> Tuple[Dict[str, torch.Tensor], list]:
    """Preprocessed-style inputs ``dict(imgs=(B, N, 3, H, W))`` and data samples."""
    height, width = cfg.final_size
    num_views = cfg.num_views
    gen = torch.Generator().manual_seed(seed)
    imgs = torch.randn(batch, num_views, 3, height, width, generator=gen).to(device)
    samples = [student_sample(num_views, height, width, kind == 'bevdepth', seed + i)
               for i in range(batch)]
    return dict(imgs=imgs), [s.to(device) for s in samples]


def num_params(model: torch.nn.Module) -> float:
    """Parameters in millions."""
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
