# Copyright (c) distillbev contributors. All rights reserved.
"""Teacher-feature cache: the teacher's tap values of each training sample, computed once and
read back in later epochs instead of running the teacher.

It is exact: a sample is read back only under the key it was written with, and the teacher's
input for a key never changes. The key of a sample is its ``sample_idx`` and, with
``GlobalBEVAug3D(replay=K)``, the index of the augmentation it drew among the K fixed ones of
that sample (``bev_aug_id``), so BEV augmentation keeps working with K cached variants per
sample. The training pipeline must give the teacher the same input for the same key: no
random sweep choice, no ``PointShuffle`` (the voxel layer keeps the first points of a full
pillar), no other random point transform. :func:`.pipeline_check.check_distill_pipeline`
refuses a pipeline that breaks this.

Cache folder: ``<dir>/<fingerprint>/``, the fingerprint hashing the teacher checkpoint's bytes,
the teacher model config, the teacher taps and runner, and the training pipeline config, so a
stale cache is never read. Each sample is one file written atomically (temporary file and
rename).
"""
import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import Tensor

from .refs import DistillerConfigError


def tree_index(value: Any, i: int) -> Any:
    """The ``i``-th sample of every tensor (dim 0, kept) in a nested dict/list/tuple."""
    if isinstance(value, Tensor):
        return value[i:i + 1].detach().clone()
    if isinstance(value, dict):
        return {k: tree_index(v, i) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(tree_index(v, i) for v in value)
    return value


def tree_cat(values: Sequence[Any]) -> Any:
    """Concatenate along dim 0 the matching tensors of per-sample nested values."""
    first = values[0]
    if isinstance(first, Tensor):
        return torch.cat(list(values), dim=0)
    if isinstance(first, dict):
        return {k: tree_cat([v[k] for v in values]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(tree_cat([v[j] for v in values]) for j in range(len(first)))
    return first


def file_digest(path: str, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


class TeacherFeatureCache:
    """Per-sample teacher tap values on disk (see the module docstring).

    Args:
        cache_dir (str): root folder of the cache.
        key_meta (Sequence[str]): metainfo keys that identify a sample's teacher input.
            Defaults to ``('sample_idx', 'bev_aug_id')``; ``bev_aug_id`` may be absent (no BEV
            augmentation in the pipeline).
    """

    def __init__(self, cache_dir: str, key_meta: Sequence[str] = ('sample_idx', 'bev_aug_id')):
        self.cache_dir = cache_dir
        self.key_meta = tuple(key_meta)
        self.model_parts: Dict[str, Any] = {}
        self.folder: Optional[str] = None
        self.hits = self.misses = 0

    def set_model_parts(self, **parts: Any) -> None:
        """The teacher side of the fingerprint (checkpoint digest, model config, taps...)."""
        self.model_parts = parts

    def set_pipeline(self, pipeline: Any) -> str:
        """Bind the cache to a training pipeline config; returns the cache folder."""
        blob = json.dumps(dict(self.model_parts, pipeline=pipeline), sort_keys=True, default=str)
        self.folder = osp.join(self.cache_dir, hashlib.sha256(blob.encode()).hexdigest()[:16])
        os.makedirs(self.folder, exist_ok=True)
        return self.folder

    def key(self, metainfo: dict) -> str:
        missing = [k for k in self.key_meta if k == 'sample_idx' and k not in metainfo]
        if missing:
            raise DistillerConfigError(
                f'teacher_cache: the data samples carry no {missing} (pack it in the meta_keys '
                f'of the training pipeline)')
        return '_'.join(str(metainfo.get(k, 'na')) for k in self.key_meta)

    def _path(self, key: str) -> str:
        if self.folder is None:
            raise DistillerConfigError(
                'teacher_cache is set but not bound to a training pipeline: add '
                "dict(type='DistillPipelineCheckHook') to custom_hooks (the distillation base "
                'configs have it), which fingerprints the pipeline before the run')
        return osp.join(self.folder, f'{key}.pt')

    def load(self, metainfos: List[dict]) -> Optional[Dict[str, Any]]:
        """The batch's tap values if every sample is cached, else None."""
        paths = [self._path(self.key(m)) for m in metainfos]
        if not all(osp.isfile(p) for p in paths):
            self.misses += 1
            return None
        self.hits += 1
        samples = [torch.load(p, map_location='cpu', weights_only=True) for p in paths]
        return tree_cat(samples)

    def save(self, metainfos: List[dict], values: Dict[str, Any]) -> None:
        """Write each sample's slice of the batch's tap values (atomically)."""
        for i, meta in enumerate(metainfos):
            path = self._path(self.key(meta))
            if osp.isfile(path):
                continue
            fd, tmp = tempfile.mkstemp(prefix=osp.basename(path) + '.', suffix='.tmp',
                                       dir=self.folder)
            try:
                with os.fdopen(fd, 'wb') as f:
                    torch.save(tree_index(values, i), f)
                os.replace(tmp, path)
            except BaseException:
                if osp.exists(tmp):
                    os.remove(tmp)
                raise

    @staticmethod
    def to_device(values: Any, device: torch.device) -> Any:
        if isinstance(values, Tensor):
            return values.to(device)
        if isinstance(values, dict):
            return {k: TeacherFeatureCache.to_device(v, device) for k, v in values.items()}
        if isinstance(values, (list, tuple)):
            return type(values)(TeacherFeatureCache.to_device(v, device) for v in values)
        return values
