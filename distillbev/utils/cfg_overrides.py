# Copyright (c) distillbev contributors. All rights reserved.
"""``--cfg-options`` that rescale a config's schedule or change its multi-view image size.

The demo and the KD benchmark train stock configs at other scales through these overrides, so
every stage stays an ordinary ``tools/train.py <config> --cfg-options ...`` call that a user can
rerun from the log. Entries are found by their fields, never by an assumed position.
"""
from typing import Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config, ConfigDict

__all__ = ['schedule_options', 'image_size_options', 'scale_options']


def _rescale(begin: int, end: int, scale: float, old_len: int,
             new_len: int) -> Tuple[int, int]:
    """A scheduler phase ``[begin, end)`` of an ``old_len`` schedule mapped onto ``new_len``."""
    new_begin = min(round(begin * scale), new_len - 1)
    new_end = new_len if end >= old_len else round(end * scale)
    return new_begin, max(new_end, new_begin + 1)


def schedule_options(cfg: Config, length: int) -> List[str]:
    """Overrides that fit ``cfg``'s schedule to ``length`` epochs or iterations.

    The unit is the training loop's: epochs for an epoch-based ``train_cfg`` (``max_epochs``),
    iterations for an ``IterBasedTrainLoop`` (``max_iters``). Every ``param_scheduler`` entry in
    that unit is rescaled: ``begin``/``end`` by ``length / old``, an entry that ran to the end
    still does, ``T_max`` follows its phase when it spanned it, ``milestones`` are scaled
    (rounded, at least 1). Entries in the other unit (an iteration warm-up in an epoch-based
    schedule) stay. A ``val_interval`` that pointed at the end moves to the new end. (The last
    checkpoint is always written: ``CheckpointHook(save_last=True)``.)

    Args:
        cfg (Config): the loaded config.
        length (int): the new number of epochs or iterations (>= 1).

    Returns:
        list[str]: ``key=value`` strings for ``--cfg-options``.
    """
    if length < 1:
        raise ValueError(f'schedule length must be >= 1, got {length}')
    by_epoch = 'max_epochs' in cfg.train_cfg
    key = 'max_epochs' if by_epoch else 'max_iters'
    old = cfg.train_cfg[key]
    scale = length / old
    opts = [f'train_cfg.{key}={length}']
    if cfg.train_cfg.get('val_interval', 0) >= old:
        opts.append(f'train_cfg.val_interval={length}')
    schedulers = cfg.get('param_scheduler') or []
    schedulers = schedulers if isinstance(schedulers, (list, tuple)) else [schedulers]
    for i, sched in enumerate(schedulers):
        if sched.get('by_epoch', True) != by_epoch:
            continue
        begin, end = sched.get('begin', 0), sched.get('end', old)
        new_begin, new_end = _rescale(begin, end, scale, old, length)
        if 'begin' in sched:
            opts.append(f'param_scheduler.{i}.begin={new_begin}')
        if 'end' in sched:
            opts.append(f'param_scheduler.{i}.end={new_end}')
        if 'T_max' in sched:
            t_max = (new_end - new_begin if sched.T_max == end - begin
                     else max(1, round(sched.T_max * scale)))
            opts.append(f'param_scheduler.{i}.T_max={t_max}')
        if 'milestones' in sched:
            milestones = sorted({max(1, round(m * scale)) for m in sched.milestones})
            opts.append(f'param_scheduler.{i}.milestones={milestones}'.replace(' ', ''))
    return opts


def _pipelines(cfg: Config) -> Iterator[Tuple[str, list]]:
    """``(key, pipeline)`` of the train/val/test dataloaders, through dataset wrappers."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        node, key = cfg.get(loader), loader
        if not node:
            continue
        node, key = node.get('dataset'), f'{key}.dataset'
        while isinstance(node, (dict, ConfigDict)) and 'pipeline' not in node \
                and 'dataset' in node:  # TemporalFrames, CBGSDataset, RepeatDataset...
            node, key = node['dataset'], f'{key}.dataset'
        if isinstance(node, (dict, ConfigDict)) and node.get('pipeline'):
            yield f'{key}.pipeline', node['pipeline']


def image_size_options(cfg: Config, size: Sequence[int]) -> List[str]:
    """Overrides that set the network input size of every multi-view image transform.

    Every transform with a ``final_size`` field (``MultiViewImageAffineAug``: the crop the
    networks see) in the train/val/test pipelines gets ``size``. A config without images (a
    LiDAR teacher) gets none. The models build their frustums from the input size at run time,
    so nothing else changes.

    Args:
        cfg (Config): the loaded config.
        size (Sequence[int]): ``(H, W)``.

    Returns:
        list[str]: ``key=value`` strings for ``--cfg-options``.
    """
    height, width = (int(v) for v in size)
    return [f'{key}.{i}.final_size=({height},{width})'
            for key, pipeline in _pipelines(cfg)
            for i, t in enumerate(pipeline) if 'final_size' in t]


def scale_options(cfg_path: str, length: Optional[int] = None,
                  image_size: Optional[Sequence[int]] = None) -> List[str]:
    """Overrides of a config file: a schedule of ``length`` and an image size (None: keep).

    Args:
        cfg_path (str): the config file (its custom imports are not run).
        length (int, optional): epochs or iterations, see :func:`schedule_options`.
        image_size (Sequence[int], optional): ``(H, W)``, see :func:`image_size_options`.

    Returns:
        list[str]: ``key=value`` strings for ``--cfg-options``.
    """
    cfg = Config.fromfile(cfg_path, import_custom_modules=False)
    opts = [] if length is None else schedule_options(cfg, length)
    if image_size:
        opts += image_size_options(cfg, image_size)
    return opts
