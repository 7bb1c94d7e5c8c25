# Copyright (c) distillbev contributors. All rights reserved.
"""Teacher lifecycle helpers: config resolution, checkpoint loading with key checks, freezing,
the teacher/student grid check, weight inheritance, keeping the teacher out of the module tree."""
import contextlib
import copy
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from torch import nn

from ...structures.bev_grid import BEVGrid
from .refs import DistillerConfigError
from .taps import resolve_module


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


def load_frozen_teacher(teacher: nn.Module, ckpt: Optional[str], strict: bool = True,
                        allow_random: bool = False) -> nn.Module:
    """Load the teacher's checkpoint (required unless ``allow_random``), then freeze it.

    Args:
        teacher (nn.Module): the built teacher.
        ckpt (str, optional): checkpoint path or URL.
        strict (bool): see :func:`load_teacher_checkpoint`.
        allow_random (bool): accept ``ckpt=None`` (tests): the teacher stays random.

    Returns:
        nn.Module: the frozen teacher (see :func:`freeze`).
    """
    if ckpt is None:
        if not allow_random:
            raise DistillerConfigError(
                'teacher_ckpt is required: set it to the trained teacher weights (.pth file or '
                'URL). A randomly initialised teacher teaches nothing; teacher_ckpt=None is '
                'accepted only with allow_random_teacher=True (tests).')
        print_log('CrossModalDistiller: no teacher_ckpt, the teacher keeps PyTorch\'s default '
                  'random initialisation (allow_random_teacher=True)', logger='current', level=30)
    else:
        load_teacher_checkpoint(teacher, ckpt, strict=strict)
    return freeze(teacher)


def check_grids(student: nn.Module, teacher: nn.Module, mode: str = 'strict') -> None:
    """Compare the head BEV grids of teacher and student (when both state one).

    Both grids come from :meth:`BEVGrid.from_detector` (the one grid parser).

    Args:
        mode (str): ``'strict'`` (origin, cell and size must match), ``'range'`` (origin and
            extent only: the feature resolution may differ and adapters/losses resample) or
            ``'off'``.
    """
    if mode not in ('strict', 'range', 'off'):
        raise DistillerConfigError(f"grid_check must be 'strict', 'range' or 'off', got {mode!r}")
    if mode == 'off':
        return
    s, t = BEVGrid.from_detector(student), BEVGrid.from_detector(teacher)
    if s is None or t is None:
        return

    def close(a, b):
        return all(abs(x - y) < 1e-4 for x, y in zip(a, b))

    fix = ('set the same point_cloud_range in both configs and make voxel_size * '
           'out_size_factor equal (train_cfg.pts / bbox_coder of their heads), or pass '
           "grid_check='range' (different resolutions, resampled by adapters) or 'off'")
    extent_s, extent_t = (s.x_max - s.x_min, s.y_max - s.y_min), (t.x_max - t.x_min,
                                                                  t.y_max - t.y_min)
    if not close((s.x_min, s.y_min), (t.x_min, t.y_min)) or not close(extent_s, extent_t):
        raise DistillerConfigError(
            f'teacher and student BEV grids do not cover the same area: teacher origin '
            f'{(t.x_min, t.y_min)} extent {extent_t} m vs student origin {(s.x_min, s.y_min)} '
            f'extent {extent_s} m (point_cloud_range x/y): grids do not align; {fix}')
    if mode == 'strict' and not close((s.cell_x, s.cell_y), (t.cell_x, t.cell_y)):
        raise DistillerConfigError(
            f'teacher BEV head cell {(t.cell_x, t.cell_y)} m vs student {(s.cell_x, s.cell_y)} m '
            f'(voxel_size * out_size_factor): head grids do not align '
            f'({t.shape[::-1]} vs {s.shape[::-1]} cells); {fix}')


def head_class_names(model: nn.Module) -> Optional[List[List[str]]]:
    """Class names of the detector's head, per task (CenterHead ``tasks``), or None.

    Heads that state no ``class_names`` (e.g. anchor heads, which take only ``num_classes``)
    give None.
    """
    head = getattr(model, 'pts_bbox_head', None) or getattr(model, 'bbox_head', None)
    names = getattr(head, 'class_names', None)
    if not names:
        return None
    return [list(t) if isinstance(t, (list, tuple)) else [t] for t in names]


def check_class_order(student: nn.Module, teacher: nn.Module, student_taps: Dict[str, str],
                      teacher_taps: Dict[str, str],
                      inherit: Optional[Union[Sequence[str], Dict[str, str]]]) -> None:
    """Teacher and student heads must list the same classes in the same tasks and order when
    head outputs are distilled (a tap inside either head) or head weights are inherited.

    Otherwise a response loss would compare, channel for channel, the scores of different
    classes (e.g. the student's car heatmap against the teacher's pedestrian one).

    Args:
        student (nn.Module): the student.
        teacher (nn.Module): the teacher.
        student_taps (dict): student tap name -> module path.
        teacher_taps (dict): teacher tap name -> module path.
        inherit (list | dict, optional): ``inherit_from_teacher``.
    """
    s_names, t_names = head_class_names(student), head_class_names(teacher)
    if s_names is None or t_names is None or s_names == t_names:
        return

    def in_head(path: str) -> bool:
        return path.split('.')[0] in ('pts_bbox_head', 'bbox_head')

    inherit = list(inherit.items()) if isinstance(inherit, dict) else [
        (p, p) for p in (inherit or [])]
    users = ([f'student tap {n!r} ({p})' for n, p in student_taps.items() if in_head(p)]
             + [f'teacher tap {n!r} ({p})' for n, p in teacher_taps.items() if in_head(p)]
             + [f'inherit_from_teacher {s!r}' for s, t in inherit if in_head(s) or in_head(t)])
    if users:
        raise DistillerConfigError(
            f'the student head\'s tasks/classes {s_names} differ from the teacher\'s {t_names}, '
            f'and head outputs are distilled or inherited ({"; ".join(users)}): the KD would '
            f'compare different classes channel for channel. Give the student the teacher\'s '
            f'tasks (same class_names, same order) or distil features only.')


def inherit_weights(student: nn.Module, teacher: nn.Module,
                    pairs: Optional[Union[Sequence[str], Dict[str, str]]]) -> None:
    """Copy teacher module weights into student modules of the same architecture.

    Args:
        student (nn.Module): the student.
        teacher (nn.Module): the teacher.
        pairs (list | dict, optional): module paths (same in both) or
            ``student_path -> teacher_path``.
    """
    pairs = pairs or []
    if not isinstance(pairs, dict):
        pairs = {p: p for p in pairs}
    for s_path, t_path in pairs.items():
        s_mod = resolve_module(student, s_path, 'student')
        t_mod = resolve_module(teacher, t_path, 'teacher')
        s_sd, t_sd = s_mod.state_dict(), t_mod.state_dict()
        bad = [f'{k}: student {tuple(v.shape)} vs teacher '
               f'{tuple(t_sd[k].shape) if k in t_sd else "missing"}'
               for k, v in s_sd.items() if k not in t_sd or t_sd[k].shape != v.shape]
        extra = [k for k in t_sd if k not in s_sd]
        if bad or extra:
            raise DistillerConfigError(
                f'inherit_from_teacher {s_path!r} <- {t_path!r}: the modules differ '
                f'({bad[:6]}{", teacher-only: " + str(extra[:6]) if extra else ""}); the '
                f'student module must have the teacher module\'s architecture (same tasks, '
                f'channels)')
        with torch.no_grad():
            s_mod.load_state_dict(t_sd, strict=True)


class TeacherHolder:
    """Keeps the teacher out of the module tree (no state_dict, optimizer, DDP, train()).

    ``copy.deepcopy`` of the distiller (e.g. an EMA copy) shares the frozen teacher instead of
    duplicating it.
    """

    def __init__(self, module: nn.Module) -> None:
        self.module = module

    def __deepcopy__(self, memo: dict) -> 'TeacherHolder':
        return self


@contextlib.contextmanager
def mmdet3d_scope() -> Iterator[None]:
    """Build nested modules in mmdet3d's scope when no default scope is set (tests, scripts)."""
    if DefaultScope.get_current_instance() is None:
        with DefaultScope.overwrite_default_scope('mmdet3d'):
            yield
    else:
        yield
