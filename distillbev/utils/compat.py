# Copyright (c) distillbev contributors. All rights reserved.
"""Every change distillbev makes to a stock library, in one place.

``import distillbev`` only *registers* modules, except for the few patches below. Each one fixes
a case where the stock code fails (it raises, or it cannot load its own files); none changes a
result that the stock code produces. Behaviour changes are opt-in by name in a config instead
(e.g. ``type='CenterHeadWithPrior'`` for CenterPoint's heatmap prior).

- ``torch_safe_globals``: adds the classes mmengine pickles (``HistoryBuffer``, numpy arrays and
  scalars, a ``OneCycleLR`` scheduler's annealing function) to torch's safe-unpickler
  allow-list. Automatic because torch >= 2.6 loads with ``weights_only=True``: without it no
  Runner checkpoint loads (``load_from``, ``--resume``, ``tools/test.py``).
- ``mmengine_atomic_save``: mmengine's ``save_checkpoint`` writes to a temporary file and renames
  it. Automatic because a crash or a full disk while saving would truncate the checkpoint being
  replaced.
- ``kitti_cpu_rotate_iou`` (only without CUDA): mmdet3d's KITTI rotated-box overlap module
  becomes an exact CPU one. Automatic because the stock module compiles a CUDA kernel at import
  and raises on CPU-only machines, so no stock result exists there to change.
- ``nuscenes_empty_predictions``: nuscenes-devkit's box-class lookup answers when *every* sample
  has no predicted box. Automatic because devkit raises ``Invalid box type: None`` there instead
  of scoring mAP 0; with any box, devkit's own function answers.

- ``mmengine_cpu_ddp`` (only without CUDA): distributed training on CPU with the gloo backend.
  Automatic because mmengine 0.10.7 cannot start it there: its ``init_dist`` calls
  ``torch.cuda.set_device`` whatever the backend, and its Runner passes
  ``device_ids=[LOCAL_RANK]`` to ``DistributedDataParallel``, which torch refuses for a CPU
  module. Without CUDA, the patched ``init_dist`` skips ``set_device`` (and explains that nccl
  needs GPUs), and ``MMDistributedDataParallel`` drops ``device_ids`` for CPU modules.

Each patch is logged once, at INFO on the ``distillbev`` logger, when it is applied (see them
with ``logging.basicConfig(level=logging.INFO)``). To turn patches off:

- before the import, ``DISTILLBEV_NO_PATCH=name1,name2`` (or ``all``) in the environment;
- after it, ``distillbev.compat.disable('name1', ...)`` (no argument: all), which restores the
  stock objects; ``distillbev.compat.applied()`` lists the active ones.
"""
import logging
import os
import sys
import types
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import torch

ENV_VAR = 'DISTILLBEV_NO_PATCH'
logger = logging.getLogger('distillbev')


@dataclass
class Patch:
    """One patch of a stock library.

    Args:
        name (str): the name used by ``DISTILLBEV_NO_PATCH`` and :func:`disable`.
        summary (str): what it changes (logged when applied).
        apply (Callable[[], bool]): installs it; returns False when nothing had to be done.
        revert (Callable[[], None]): restores the stock objects.
    """
    name: str
    summary: str
    apply: Callable[[], bool]
    revert: Callable[[], None]


_ACTIVE: Dict[str, bool] = {}
_SAVED: Dict[str, object] = {}


# --------------------------------------------------------------- checkpoints (mmengine, torch)
def _apply_safe_globals() -> bool:
    from distillbev.engine.checkpoint import mmengine_safe_globals
    _SAVED['torch_safe_globals'] = list(torch.serialization.get_safe_globals())
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    return True


def _revert_safe_globals() -> None:
    torch.serialization.clear_safe_globals()
    torch.serialization.add_safe_globals(_SAVED.pop('torch_safe_globals', []))


def _apply_atomic_save() -> bool:
    from mmengine.runner import checkpoint as mm_ckpt
    from mmengine.runner import runner as mm_runner

    from distillbev.engine.checkpoint import atomic_save_checkpoint
    _SAVED['mmengine_atomic_save'] = (mm_ckpt.save_checkpoint, mm_runner.save_checkpoint)
    mm_ckpt.save_checkpoint = atomic_save_checkpoint
    mm_runner.save_checkpoint = atomic_save_checkpoint
    return True


def _revert_atomic_save() -> None:
    from mmengine.runner import checkpoint as mm_ckpt
    from mmengine.runner import runner as mm_runner
    mm_ckpt.save_checkpoint, mm_runner.save_checkpoint = _SAVED.pop('mmengine_atomic_save')


# --------------------------------------------------------------- distributed training on CPU
def _init_dist_pytorch_cpu(backend: str, init_backend: str = 'torch', **kwargs) -> None:
    """mmengine's ``_init_dist_pytorch`` for CUDA-less machines: no ``torch.cuda.set_device``."""
    if backend == 'nccl':
        raise RuntimeError(
            'distributed training on a machine without CUDA needs the gloo backend: set '
            "env_cfg=dict(dist_cfg=dict(backend='gloo')) in the config, or pass --cfg-options "
            'env_cfg.dist_cfg.backend=gloo (nccl only runs on GPUs)')
    if init_backend != 'torch':
        return _SAVED['mmengine_cpu_ddp'][0](backend, init_backend=init_backend, **kwargs)
    torch.distributed.init_process_group(backend=backend, **kwargs)


def _apply_cpu_ddp() -> bool:
    if torch.cuda.is_available():
        return False
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    stock_init = MMDistributedDataParallel.__init__

    def ddp_init(self, module, detect_anomalous_params: bool = False, **kwargs) -> None:
        if all(p.device.type == 'cpu' for p in module.parameters()):
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        stock_init(self, module, detect_anomalous_params, **kwargs)

    _SAVED['mmengine_cpu_ddp'] = (dist_utils._init_dist_pytorch, stock_init)
    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu
    MMDistributedDataParallel.__init__ = ddp_init
    return True


def _revert_cpu_ddp() -> None:
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    dist_utils._init_dist_pytorch, MMDistributedDataParallel.__init__ = _SAVED.pop(
        'mmengine_cpu_ddp')


# --------------------------------------------------------------- evaluation (mmdet3d, devkit)
def install_cpu_rotate_iou(force: bool = False) -> bool:
    """Make mmdet3d's KITTI evaluation use the exact CPU rotated-box overlaps.

    ``kitti_utils.eval`` runs ``from .rotate_iou import rotate_iou_gpu_eval`` each time it computes
    overlaps. The real ``rotate_iou`` module compiles a CUDA kernel at import time (it raises
    without a CUDA driver, unless numba's CUDA simulator is on, which gives wrong overlaps), so
    it is not imported here: if it is already loaded its function is replaced, otherwise a
    stand-in module holding
    :func:`distillbev.evaluation.functional.rotate_iou_cpu.rotate_iou_cpu_eval` is registered
    under its name. :func:`disable` undoes both.

    Args:
        force (bool): Install even when CUDA is available.

    Returns:
        bool: Whether the CPU function is installed.
    """
    if not force and torch.cuda.is_available():
        return False
    try:
        from mmdet3d.evaluation.functional import kitti_utils
    except ImportError:  # pragma: no cover - mmdet3d without its evaluation package
        return False
    from distillbev.evaluation.functional.rotate_iou_cpu import rotate_iou_cpu_eval
    name = kitti_utils.__name__ + '.rotate_iou'
    saved = _SAVED.setdefault('kitti_cpu_rotate_iou', {})
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name, 'distillbev CPU stand-in for mmdet3d\'s CUDA rotate_iou.')
        module.__package__ = kitti_utils.__name__
        sys.modules[name] = module
        kitti_utils.rotate_iou = module
        saved.setdefault('stand_in', name)
    elif 'stand_in' not in saved and 'module_fn' not in saved:
        saved['module_fn'] = module.rotate_iou_gpu_eval
    module.rotate_iou_gpu_eval = rotate_iou_cpu_eval
    kitti_eval = sys.modules.get(kitti_utils.__name__ + '.eval')
    if kitti_eval is not None and hasattr(kitti_eval, 'rotate_iou_gpu_eval'):
        saved.setdefault('eval_fn', kitti_eval.rotate_iou_gpu_eval)
        kitti_eval.rotate_iou_gpu_eval = rotate_iou_cpu_eval
    _ACTIVE['kitti_cpu_rotate_iou'] = True
    return True


def _revert_cpu_rotate_iou() -> None:
    saved = _SAVED.pop('kitti_cpu_rotate_iou', {})
    from mmdet3d.evaluation.functional import kitti_utils
    name = kitti_utils.__name__ + '.rotate_iou'
    if 'stand_in' in saved:
        sys.modules.pop(name, None)
        if hasattr(kitti_utils, 'rotate_iou'):
            del kitti_utils.rotate_iou
    elif 'module_fn' in saved:
        sys.modules[name].rotate_iou_gpu_eval = saved['module_fn']
    kitti_eval = sys.modules.get(kitti_utils.__name__ + '.eval')
    if 'eval_fn' in saved and kitti_eval is not None:
        kitti_eval.rotate_iou_gpu_eval = saved['eval_fn']


def install_empty_predictions_fix() -> bool:
    """Let devkit's ``DetectionEval`` score a model that predicts no box at all (mAP 0).

    Wraps ``nuscenes.eval.common.loaders._get_box_class_field`` with
    :func:`distillbev.evaluation.functional.nuscenes_empty_predictions.box_class_field`, which
    differs from devkit's only when every sample's list is empty (devkit raises there).

    Returns:
        bool: True (installed, idempotent).
    """
    from nuscenes.eval.common import loaders

    from distillbev.evaluation.functional.nuscenes_empty_predictions import box_class_field
    if loaders._get_box_class_field is not box_class_field:
        _SAVED['nuscenes_empty_predictions'] = loaders._get_box_class_field
        loaders._get_box_class_field = box_class_field
    _ACTIVE['nuscenes_empty_predictions'] = True
    return True


def _revert_empty_predictions_fix() -> None:
    from nuscenes.eval.common import loaders
    loaders._get_box_class_field = _SAVED.pop('nuscenes_empty_predictions')


PATCHES: Dict[str, Patch] = {p.name: p for p in (
    Patch('torch_safe_globals',
          "torch's safe unpickler accepts the classes in mmengine Runner checkpoints",
          _apply_safe_globals, _revert_safe_globals),
    Patch('mmengine_atomic_save',
          "mmengine's save_checkpoint writes atomically (temporary file + rename)",
          _apply_atomic_save, _revert_atomic_save),
    Patch('kitti_cpu_rotate_iou',
          "mmdet3d's KITTI rotated IoU runs on the CPU (no CUDA device found)",
          install_cpu_rotate_iou, _revert_cpu_rotate_iou),
    Patch('mmengine_cpu_ddp',
          'mmengine starts DDP on CPU with gloo (no cuda.set_device, no CPU device_ids)',
          _apply_cpu_ddp, _revert_cpu_ddp),
    Patch('nuscenes_empty_predictions',
          'nuscenes-devkit scores all-empty predictions as 0 instead of raising',
          install_empty_predictions_fix, _revert_empty_predictions_fix),
)}


def _check_names(names: List[str]) -> None:
    unknown = [n for n in names if n not in PATCHES]
    if unknown:
        raise ValueError(f'unknown distillbev patch name(s) {unknown}; the patches are '
                         f'{sorted(PATCHES)} (or "all")')


def disabled_by_env(environ: Optional[Dict[str, str]] = None) -> List[str]:
    """Patch names listed in ``DISTILLBEV_NO_PATCH`` (comma-separated; ``all``: every patch).

    Raises:
        ValueError: a listed name is not a patch.
    """
    value = (os.environ if environ is None else environ).get(ENV_VAR, '')
    names = [n.strip() for n in value.split(',') if n.strip()]
    if 'all' in names:
        return list(PATCHES)
    _check_names(names)
    return names


def apply(name: str) -> bool:
    """Apply one patch (idempotent); log it once. Returns whether it is active."""
    _check_names([name])
    if _ACTIVE.get(name):
        return True
    if PATCHES[name].apply():
        _ACTIVE[name] = True
        logger.info('distillbev patched %s: %s (turn off: %s=%s)', name, PATCHES[name].summary,
                    ENV_VAR, name)
    return bool(_ACTIVE.get(name))


def apply_all() -> List[str]:
    """Apply every patch not turned off by ``DISTILLBEV_NO_PATCH``; run by ``import distillbev``.

    Returns:
        list[str]: names of the active patches.
    """
    skip = set(disabled_by_env())
    for name in PATCHES:
        if name not in skip:
            apply(name)
    return applied()


def disable(*names: str) -> None:
    """Revert patches (all if no name is given), restoring the stock objects."""
    names = names or tuple(PATCHES)
    _check_names(list(names))
    for name in names:
        if _ACTIVE.pop(name, False):
            PATCHES[name].revert()
            logger.info('distillbev reverted patch %s', name)


def applied() -> List[str]:
    """Names of the active patches, in application order."""
    return [n for n in PATCHES if _ACTIVE.get(n)]


__all__ = ['ENV_VAR', 'PATCHES', 'Patch', 'apply', 'apply_all', 'disable', 'applied',
           'disabled_by_env', 'install_cpu_rotate_iou', 'install_empty_predictions_fix']
