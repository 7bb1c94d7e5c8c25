# Copyright (c) distillbev contributors. All rights reserved.
"""Checkpoint loading and saving fixes for mmengine 0.10.7 on torch >= 2.6.

1. Loading. torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``; mmengine 0.10.7 does not
   pass ``weights_only``, so every checkpoint the Runner itself wrote (its ``message_hub`` holds
   :class:`mmengine.logging.HistoryBuffer` objects and numpy arrays/scalars; a ``OneCycleLR``
   scheduler's state holds its annealing function) fails to load with an ``UnpicklingError``:
   ``load_from``, ``--resume``, ``tools/test.py`` and ``tools/export_student.py`` all break.
   Instead of turning the safe unpickler off (``weights_only=False`` or
   ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``, which lets any pickle run code), we add exactly the
   classes mmengine writes to torch's allow-list (:func:`torch.serialization.add_safe_globals`).
   Untrusted files keep going through the restricted unpickler; a checkpoint holding anything
   else still fails, with torch's message.
2. Saving. mmengine writes checkpoints in place, so a crash or a full disk during ``torch.save``
   leaves a truncated ``epoch_N.pth``/``iter_N.pth``. :func:`atomic_save_checkpoint` writes to a
   temporary file in the same directory, flushes it to disk and renames it over the target, so
   the previous checkpoint stays intact until the new one is complete. The temporary file of a
   writer killed mid-write (SIGKILL) is removed when that checkpoint is next written.

Both are installed by :mod:`distillbev.utils.compat` (patches ``torch_safe_globals`` and
``mmengine_atomic_save``) when ``distillbev`` is imported, also via ``custom_imports`` from a
stock mmdet3d tool; ``DISTILLBEV_NO_PATCH`` turns them off. This module only defines them.
"""
import glob
import importlib
import os
import os.path as osp
import pickle
import tempfile
from typing import Any, List

import numpy as np
import torch
from mmengine.runner import checkpoint as _mm_ckpt

# mmengine's own writer, for remote URIs (captured before distillbev.utils.compat replaces it)
_MMENGINE_SAVE = _mm_ckpt.save_checkpoint


# the annealing functions a OneCycleLR scheduler keeps in its state (``anneal_func``)
ONE_CYCLE_ANNEALING = ('_annealing_cos', '_annealing_linear')


def history_buffer_method(owner: type, name: str) -> Any:
    """A ``getattr`` restricted to the class attributes mmengine checkpoints pickle.

    Pickle protocol 2 writes a class attribute as ``getattr(owner, name)``. Runner checkpoints
    hold two kinds: ``HistoryBuffer``'s statistics methods (``HistoryBuffer.mean``, ...) in the
    message hub, and the annealing function of a ``OneCycleLR`` scheduler
    (``OneCycleParamScheduler._annealing_cos`` / ``_annealing_linear``, a pure function of three
    floats) in its state. Allowing the real ``getattr`` would let a crafted file reach any
    attribute of any allowed object, so checkpoints get this instead.

    Args:
        owner (type): ``HistoryBuffer`` or ``OneCycleParamScheduler``, or a subclass.
        name (str): a public method name of ``HistoryBuffer``, or one of
            ``ONE_CYCLE_ANNEALING``.

    Returns:
        The method or function ``owner.name``.
    """
    from mmengine.logging import HistoryBuffer
    from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

    method = getattr(owner, name, None) if isinstance(owner, type) else None
    allowed = method is not None and callable(method) and (
        (issubclass(owner, HistoryBuffer) and not name.startswith('_'))
        or (issubclass(owner, OneCycleParamScheduler) and name in ONE_CYCLE_ANNEALING))
    if not allowed:
        raise pickle.UnpicklingError(
            f'Refusing getattr({owner!r}, {name!r}) while loading a checkpoint: only the '
            'statistics methods of mmengine.logging.HistoryBuffer and the annealing functions '
            'of mmengine\'s OneCycleParamScheduler are allowed. If you trust this file, load it '
            'with torch.load(..., weights_only=False).')
    return method


def mmengine_safe_globals() -> List[Any]:
    """Return the classes and functions that mmengine Runner checkpoints pickle.

    Returns:
        list: ``HistoryBuffer`` (message hub scalars) and ``OneCycleParamScheduler`` (its
        annealing function, in a ``OneCycleLR`` scheduler's state) with a restricted ``getattr``
        for what they pickle, and the numpy reconstructors, array, dtype and scalar types that
        appear in ``meta`` and ``message_hub``.
    """
    from mmengine.logging import HistoryBuffer
    from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler

    safe: List[Any] = [HistoryBuffer, OneCycleParamScheduler,
                       (history_buffer_method, 'builtins.getattr'), np.ndarray, np.dtype]
    # numpy 1.x pickles arrays/scalars via numpy.core.multiarray, numpy 2.x via numpy._core.
    multiarray = importlib.import_module(
        'numpy.core.multiarray' if np.lib.NumpyVersion(np.__version__) < '2.0.0' else
        'numpy._core.multiarray')
    safe += [multiarray._reconstruct, multiarray.scalar]
    # numpy >= 1.25 pickles dtypes through their per-type classes (np.dtypes.Float64DType, ...).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    return safe


def atomic_save_checkpoint(checkpoint: dict, filename: str, *args, **kwargs) -> None:
    """Save ``checkpoint`` to ``filename`` atomically (local paths) with mmengine's semantics.

    Args:
        checkpoint (dict): the checkpoint dict built by the Runner.
        filename (str): target path. Remote URIs (``s3://``...) go to mmengine's own writer.
    """
    if '://' in str(filename):
        return _MMENGINE_SAVE(checkpoint, filename, *args, **kwargs)
    filename = str(filename)
    dirname = osp.dirname(osp.abspath(filename))
    os.makedirs(dirname, exist_ok=True)
    # a writer killed mid-write (SIGKILL, power loss) leaves its temporary file behind
    for stale in glob.glob(osp.join(glob.escape(dirname), glob.escape(osp.basename(filename))
                                    + '.*.tmp')):
        os.remove(stale)
    fd, tmp = tempfile.mkstemp(prefix=osp.basename(filename) + '.', suffix='.tmp', dir=dirname)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


__all__ = ['atomic_save_checkpoint', 'mmengine_safe_globals', 'history_buffer_method']
