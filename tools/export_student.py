# Copyright (c) distillbev contributors. All rights reserved.
"""Turn a CrossModalDistiller checkpoint into a plain student checkpoint.

    python tools/export_student.py work_dirs/<run>/epoch_24.pth student.pth [--ema]

The distillation checkpoint's ``state_dict`` holds ``student.*`` (the deployed detector) plus the
distiller's own ``adapters.*``, ``distill_losses.*``, ``kd_targets.*`` and ``data_preprocessor.*``
entries (the teacher is never saved). The output keeps ``meta`` (with an ``export`` record), has
the ``student.`` prefix stripped, and drops the optimizer, schedulers and message hub. It is
written atomically. The student's own config then loads and tests it without distillbev's
wrapper (``python tools/test.py <student_cfg>.py student.pth``; the config still needs
``custom_imports`` for the student class when it is a distillbev model).
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict
from typing import Any, Dict, Optional

import torch

PREFIX = 'student.'


def convert(checkpoint: Dict[str, Any], source: str = '', ema: bool = False,
            prefix: str = PREFIX) -> Dict[str, Any]:
    """Build the student-only checkpoint dict.

    Args:
        checkpoint (dict): a Runner checkpoint (``state_dict``, ``meta``, ...) or a bare state
            dict.
        source (str): path of the source checkpoint (recorded in ``meta['export']``).
        ema (bool): export ``ema_state_dict`` (written by mmengine's EMAHook) instead.
        prefix (str): the student's key prefix. Defaults to ``'student.'``.

    Returns:
        dict: ``dict(meta=..., state_dict=OrderedDict)``.
    """
    key = 'ema_state_dict' if ema else 'state_dict'
    if ema and key not in checkpoint:
        raise KeyError(f'{source or "checkpoint"} has no ema_state_dict (was EMAHook used?)')
    state = checkpoint.get(key, checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{source or "checkpoint"} holds no state dict')
    student, dropped = OrderedDict(), []
    for k, v in state.items():
        name = k[len('module.'):] if k.startswith('module.') else k
        if name.startswith(prefix):
            student[name[len(prefix):]] = v
        elif k != 'steps':  # EMA step counter
            dropped.append(name)
    if not student:
        raise ValueError(
            f'{source or "checkpoint"} has no "{prefix}*" keys: it is not a CrossModalDistiller '
            f'checkpoint (found e.g. {list(state)[:5]}); a plain student checkpoint needs no '
            f'export')
    meta = dict(checkpoint.get('meta', {}) or {}) if key in checkpoint else {}
    groups = sorted({d.split('.')[0] for d in dropped})
    meta['export'] = dict(source=source, from_key=key, prefix=prefix,
                          num_student_keys=len(student), dropped_groups=groups,
                          num_dropped_keys=len(dropped))
    return dict(meta=meta, state_dict=student)


def export_student(src: str, dst: str, ema: bool = False, prefix: str = PREFIX) -> Dict[str, Any]:
    """Read ``src``, convert it (see :func:`convert`) and write ``dst`` atomically.

    Returns:
        dict: the written checkpoint.
    """
    import distillbev  # noqa: F401  (safe-unpickling allow-list for mmengine checkpoints)
    from distillbev.engine.checkpoint import atomic_save_checkpoint
    if not osp.isfile(src):
        raise FileNotFoundError(f'checkpoint {src!r} does not exist')
    checkpoint = torch.load(src, map_location='cpu', weights_only=True)
    out = convert(checkpoint, source=osp.abspath(src), ema=ema, prefix=prefix)
    atomic_save_checkpoint(out, dst)
    return out


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkpoint', help='CrossModalDistiller checkpoint (.pth)')
    parser.add_argument('out', help='output student checkpoint (.pth)')
    parser.add_argument('--ema', action='store_true', help='export the EMA weights')
    parser.add_argument('--prefix', default=PREFIX, help='student key prefix (default student.)')
    return parser.parse_args(argv)


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    out = export_student(args.checkpoint, args.out, ema=args.ema, prefix=args.prefix)
    info = out['meta']['export']
    print(f'wrote {args.out}: {info["num_student_keys"]} student tensors; dropped '
          f'{info["num_dropped_keys"]} distiller tensors ({", ".join(info["dropped_groups"])})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
