# Copyright (c) distillbev contributors. All rights reserved.
"""Build-time checks of a distillation config's training pipeline against its distiller.

The distiller sees tensors, not the pipeline that made them, so mistakes that only the pipeline
shows are caught here, before the first step (``tools/train.py`` calls
:func:`check_distill_pipeline` on the merged config; :class:`DistillPipelineCheckHook` does the
same in ``before_run`` for other launchers such as ``mim train``):

- GT-paste (``ObjectSample``) next to camera images: pasted LiDAR points have no pixels, so the
  teacher sees objects that the camera student cannot;
- a BEV augmentation that records no ``lidar_aug_matrix`` (stock ``GlobalRotScaleTrans`` /
  ``RandomFlip3D``) next to camera images: points and boxes move, the cameras' lift does not;
- ``GlobalBEVAug3D`` with a packing transform that drops ``lidar_aug_matrix`` from the metainfo;
- a teacher input (``teacher_inputs`` / the runner's ``inputs``) that the pipeline never packs,
  e.g. a depth-image teacher without a depth image.
"""
import inspect
from typing import Any, Dict, List, Optional

from mmdet3d.registry import TRANSFORMS

from .refs import DistillerConfigError

# batch input key (after Det3DDataPreprocessor) -> the packed key it comes from
PREPROCESSED_FROM = dict(imgs='img', points='points', voxels='points',
                         depth_imgs='depth_input')


def _type_name(t: Any) -> str:
    t = t.get('type', '') if isinstance(t, dict) else t
    return t if isinstance(t, str) else getattr(t, '__name__', str(t))


def train_pipeline_of(dataset: Optional[dict]) -> Optional[List[dict]]:
    """The pipeline of a dataset config, looking through wrappers (``dataset=``, ``datasets=``)."""
    while isinstance(dataset, dict):
        if dataset.get('pipeline') is not None:
            return list(dataset['pipeline'])
        inner = dataset.get('dataset')
        if inner is None and dataset.get('datasets'):
            inner = dataset['datasets'][0]
        dataset = inner
    return None


def _teacher_inputs(model: dict) -> Dict[str, str]:
    runner = model.get('teacher_runner') or {}
    inputs = runner.get('inputs') or model.get('teacher_inputs')
    if inputs:
        return dict(inputs)
    if _type_name(runner) == 'TeacherDepthImageRunner':
        return dict(imgs='depth_imgs')
    return dict(points='points')


def check_distill_pipeline(cfg: Any) -> None:
    """Raise :class:`DistillerConfigError` when the training pipeline cannot feed the distiller.

    A no-op for configs whose model is not a ``CrossModalDistiller`` or that train without a
    dataloader.

    Args:
        cfg (Config | dict): the full config (``model``, ``train_dataloader``).
    """
    model = cfg.get('model') or {}
    if _type_name(model) != 'CrossModalDistiller':
        return
    pipeline = train_pipeline_of((cfg.get('train_dataloader') or {}).get('dataset'))
    if not pipeline:
        return
    types = [_type_name(t) for t in pipeline]
    packs = [t for t in pipeline if 'Pack' in _type_name(t)]
    if not packs:
        return
    pack = packs[-1]
    keys = list(pack.get('keys') or [])
    where = 'train_dataloader.dataset.pipeline'
    if 'img' in keys and 'ObjectSample' in types:
        raise DistillerConfigError(
            f'{where} has ObjectSample (GT-paste) and packs camera images: the pasted LiDAR '
            f'points have no pixels, so the teacher sees objects the camera student cannot. '
            f'Remove ObjectSample from the distillation pipeline.')
    if 'img' in keys:
        for t in pipeline:
            name = _type_name(t)
            # stock BEV augmentations: they move points and boxes, record no lidar_aug_matrix
            moves = name == 'GlobalRotScaleTrans' or (name == 'RandomFlip3D' and any(
                t.get(k, 0) for k in ('flip_ratio_bev_horizontal', 'flip_ratio_bev_vertical')))
            if moves:
                raise DistillerConfigError(
                    f'{where}: {name} moves the points (the teacher\'s input) and the boxes but '
                    f'records no lidar_aug_matrix, so the camera student lifts its images into '
                    f'the un-augmented frame and its BEV no longer lines up with the teacher\'s. '
                    f'Use GlobalBEVAug3D (rotation, scale, flips; records lidar_aug_matrix).')
    if 'GlobalBEVAug3D' in types:
        meta_keys = pack.get('meta_keys')
        if meta_keys is None:
            cls = TRANSFORMS.get(_type_name(pack))
            default = inspect.signature(cls).parameters.get('meta_keys') if cls else None
            meta_keys = default.default if default is not None else ()
        if 'lidar_aug_matrix' not in meta_keys:
            raise DistillerConfigError(
                f'{where}: GlobalBEVAug3D records lidar_aug_matrix, but {_type_name(pack)} does '
                f'not pack it (meta_keys), so the camera student never sees the augmentation. '
                f'Use PackMultiViewDet3DInputs or add "lidar_aug_matrix" to meta_keys.')
    if model.get('teacher_cache') is not None:
        _check_cacheable(pipeline, where)
    for t_key, src in _teacher_inputs(model).items():
        packed = PREPROCESSED_FROM.get(src, src)
        if packed not in keys and src not in keys:
            raise DistillerConfigError(
                f'the teacher reads batch input {src!r} (as its {t_key!r}), which {where} never '
                f'packs ({_type_name(pack)} keys={keys}). Add the transform that makes it (e.g. '
                f'the depth image of a depth-image teacher) and list {packed!r} in the keys.')


# transforms that give the teacher a different input on every call of the same sample
RANDOM_POINT_TRANSFORMS = ('PointShuffle', 'ObjectSample', 'ObjectNoise', 'PointSample',
                           'GlobalRotScaleTrans', 'RandomFlip3D', 'RandomJitterPoints',
                           'RandomDropPointsColor')


def _check_cacheable(pipeline: List[dict], where: str) -> None:
    """``teacher_cache`` needs one teacher input per (sample, ``bev_aug_id``)."""
    fix = ('the teacher-feature cache (teacher_cache=...) serves a sample only when the teacher '
           'gets the same input for it every time; ')
    for t in pipeline:
        name = _type_name(t)
        if name in RANDOM_POINT_TRANSFORMS:
            raise DistillerConfigError(f'{where} has {name}: {fix}remove it, or drop '
                                       f'teacher_cache')
        if name == 'LoadPointsFromMultiSweeps' and not t.get('test_mode', False):
            raise DistillerConfigError(
                f'{where}: LoadPointsFromMultiSweeps picks random sweeps in training; {fix}set '
                f'test_mode=True in it (the first sweeps_num sweeps), or drop teacher_cache')
        if name == 'GlobalBEVAug3D' and not t.get('test_mode', False) and not t.get('replay'):
            raise DistillerConfigError(
                f'{where}: GlobalBEVAug3D draws a new augmentation every time; {fix}set '
                f'replay=K (K fixed augmentations per sample, all cached), or drop teacher_cache')


def bind_teacher_cache(cfg: Any, model: Any) -> Optional[str]:
    """Bind a distiller's teacher-feature cache to the config's training pipeline.

    Returns:
        str | None: the cache folder, or None without a cache.
    """
    cache = getattr(model, 'teacher_cache', None)
    if cache is None:
        return None
    pipeline = train_pipeline_of((cfg.get('train_dataloader') or {}).get('dataset'))
    return cache.set_pipeline([dict(t) for t in pipeline or []])
