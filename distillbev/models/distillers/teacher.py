# Copyright (c) distillbev contributors. All rights reserved.
"""Teacher helpers: config resolution, checkpoint loading with key checks, freezing, grid info."""
import copy
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from torch import nn

from .refs import DistillerConfigError


def resolve_config_path(path: str) -> str:
    """Turn ``'mmdet3d::centerpoint/x.py'`` into the installed file path (others unchanged)."""
    if '::' not in path:
        return path
    from mmengine.config.utils import (_get_external_cfg_base_path, _get_external_cfg_path,
                                       _get_package_and_cfg_path)
    from mmengine.utils import get_installed_path
    package, rel = _get_package_and_cfg_path(path)
    root = get_installed_path(package)
    candidate = osp.join(root, '.mim', 'configs', rel)
    if osp.isfile(candidate):
        return candidate
    try:
        return _get_external_cfg_path(root, rel)
    except ValueError:
        return _get_external_cfg_base_path(root, rel)


def model_config(cfg: Union[str, dict, Config], role: str) -> dict:
    """Return a model config dict from a dict, a config file or an ``mmdet3d::`` config path.

    A full config (with a ``model`` key) gives its ``model``; a model dict is returned as a copy.
    """
    if isinstance(cfg, str):
        path = resolve_config_path(cfg)
        if not osp.isfile(path):
            raise DistillerConfigError(
                f'{role} config file {cfg!r} not found. Give a model dict, a config file path or '
                f'an installed config such as "mmdet3d::centerpoint/<name>.py"')
        cfg = Config.fromfile(path)
    if isinstance(cfg, Config):
        cfg = cfg._cfg_dict
    if not isinstance(cfg, dict):
        raise DistillerConfigError(f'{role} must be a model config dict or a config path, got '
                                   f'{type(cfg).__name__}')
    if 'model' in cfg and 'type' not in cfg:
        cfg = cfg['model']
    return ConfigDict(copy.deepcopy(dict(cfg)))


def _state_dict_of(checkpoint: Any, path: str) -> Dict[str, torch.Tensor]:
    if not isinstance(checkpoint, dict):
        raise DistillerConfigError(f'teacher checkpoint {path!r} holds no state dict')
    sd = checkpoint.get('state_dict', checkpoint)
    out = {}
    for k, v in sd.items():
        out[k[len('module.'):] if k.startswith('module.') else k] = v
    return out


def load_teacher_checkpoint(teacher: nn.Module, path: str, strict: bool = True) -> Dict[str, Any]:
    """Load ``path`` into the teacher on CPU, failing loudly on mismatching keys or shapes.

    Args:
        teacher (nn.Module): the built teacher.
        path (str): local file or URI understood by mmengine (``http(s)://``, ``open-mmlab://``).
        strict (bool): raise on any missing/unexpected key. With False, mismatches are logged,
            but a checkpoint that initialises none of the teacher's parameters, or any shape
            mismatch, still raises.

    Returns:
        dict: the checkpoint's ``meta`` (or an empty dict).
    """
    if '://' not in path and not osp.isfile(path):
        raise DistillerConfigError(
            f'teacher checkpoint {path!r} does not exist. Set teacher_ckpt to the trained '
            f'teacher weights (a .pth file or URL), e.g. train the teacher config with '
            f'tools/train.py and point teacher_ckpt at its work_dir/epoch_N.pth; '
            f'teacher_ckpt=None is only accepted with allow_random_teacher=True (tests)')
    checkpoint = _load_checkpoint(path, map_location='cpu')
    sd = _state_dict_of(checkpoint, path)
    own = teacher.state_dict()
    missing = [k for k in own if k not in sd and 'num_batches_tracked' not in k]
    unexpected = [k for k in sd if k not in own]
    shapes = [f'{k}: checkpoint {tuple(sd[k].shape)} vs teacher {tuple(own[k].shape)}'
              for k in own if k in sd and hasattr(sd[k], 'shape')
              and tuple(sd[k].shape) != tuple(own[k].shape)]
    params = {k for k, _ in teacher.named_parameters()}
    loaded_params = params & set(sd)

    def head(keys: List[str]) -> str:
        return ', '.join(keys[:8]) + (f' ... (+{len(keys) - 8})' if len(keys) > 8 else '')

    msg = (f'teacher checkpoint {path!r} does not match the teacher '
           f'({type(teacher).__name__}): {len(missing)} missing key(s) [{head(missing)}], '
           f'{len(unexpected)} unexpected key(s) [{head(unexpected)}], {len(shapes)} shape '
           f'mismatch(es) [{head(shapes)}]. Check that teacher and teacher_ckpt come from the '
           f'same config (channels, voxel size, classes); a distillation checkpoint must be '
           f'exported first; set teacher_ckpt_strict=False only for deliberate partial loads.')
    if shapes or (params and not loaded_params) or (strict and (missing or unexpected)):
        raise DistillerConfigError(msg)
    if missing or unexpected:
        print_log(msg, logger='current', level=30)
    load_state_dict(teacher, sd, strict=False, logger='current')
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    return meta if isinstance(meta, dict) else {}


def freeze(module: nn.Module) -> nn.Module:
    """``requires_grad=False`` on every parameter, eval mode, ``_is_init=True`` everywhere."""
    module.requires_grad_(False)
    module.eval()
    for m in module.modules():
        if hasattr(m, '_is_init'):
            m._is_init = True
    module._is_init = True
    return module


def bev_grid_info(model: nn.Module) -> Optional[Dict[str, Tuple[float, ...]]]:
    """BEV head grid of an mmdet3d detector, from its head ``train_cfg`` or ``bbox_coder``.

    Returns:
        dict | None: ``origin`` (x_min, y_min), ``cell`` (x, y) = voxel_size * out_size_factor
        and, when known, ``size`` (X, Y) cells of the head output; None when not found.
    """
    head = getattr(model, 'pts_bbox_head', None) or getattr(model, 'bbox_head', None)
    if head is None:
        return None
    cfg = getattr(head, 'train_cfg', None) or {}
    coder = getattr(head, 'bbox_coder', None)
    pcr = cfg.get('point_cloud_range', None) if hasattr(cfg, 'get') else None
    voxel = cfg.get('voxel_size', None) if hasattr(cfg, 'get') else None
    factor = cfg.get('out_size_factor', None) if hasattr(cfg, 'get') else None
    origin = tuple(pcr[:2]) if pcr is not None else None
    if coder is not None:
        if origin is None and getattr(coder, 'pc_range', None) is not None:
            origin = tuple(coder.pc_range[:2])
        voxel = voxel if voxel is not None else getattr(coder, 'voxel_size', None)
        factor = factor if factor is not None else getattr(coder, 'out_size_factor', None)
    if origin is None or voxel is None or factor is None:
        return None
    info = dict(origin=tuple(float(v) for v in origin),
                cell=(float(voxel[0]) * factor, float(voxel[1]) * factor))
    if pcr is not None and len(pcr) >= 5:
        info['size'] = (round((pcr[3] - pcr[0]) / info['cell'][0]),
                        round((pcr[4] - pcr[1]) / info['cell'][1]))
    return info


def check_grids(student: nn.Module, teacher: nn.Module, mode: str = 'strict') -> None:
    """Compare the head BEV grids of teacher and student (when both are known).

    Args:
        mode (str): ``'strict'`` (origin, cell and size must match), ``'range'`` (origin and
            extent only: the feature resolution may differ and adapters/losses resample) or
            ``'off'``.
    """
    if mode == 'off':
        return
    s, t = bev_grid_info(student), bev_grid_info(teacher)
    if s is None or t is None:
        return

    def close(a, b):
        return all(abs(x - y) < 1e-4 for x, y in zip(a, b))

    fix = ('set the same point_cloud_range in both configs and make voxel_size * '
           'out_size_factor equal (train_cfg.pts / bbox_coder of their heads), or pass '
           "grid_check='range' (different resolutions, resampled by adapters) or 'off'")
    extent_s = (s['cell'][0] * s['size'][0], s['cell'][1] * s['size'][1]) if 'size' in s else None
    extent_t = (t['cell'][0] * t['size'][0], t['cell'][1] * t['size'][1]) if 'size' in t else None
    if not close(s['origin'], t['origin']) or (
            extent_s and extent_t and not close(extent_s, extent_t)):
        raise DistillerConfigError(
            f'teacher and student BEV grids do not cover the same area: teacher origin '
            f'{t["origin"]} extent {extent_t} m vs student origin {s["origin"]} extent '
            f'{extent_s} m (point_cloud_range x/y): grids do not align; {fix}')
    if mode == 'strict' and not close(s['cell'], t['cell']):
        raise DistillerConfigError(
            f'teacher BEV head cell {t["cell"]} m vs student {s["cell"]} m '
            f'(voxel_size * out_size_factor): head grids do not align '
            f'({t.get("size")} vs {s.get("size")} cells); {fix}')
