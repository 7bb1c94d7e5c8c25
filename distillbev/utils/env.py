# Copyright (c) distillbev contributors. All rights reserved.
"""Environment checks run when ``distillbev`` is imported.

They fail early, with the fix in the message, instead of letting a version mismatch surface as an
obscure error deep inside mmcv or mmdet3d.
"""
import importlib.util
from importlib import metadata
from typing import Optional, Tuple

from packaging.version import Version

from distillbev import version as _v

_INSTALL_HINT = ('Install the pinned stack with `make env` (or `bash tools/install_env.sh`); '
                 'see README.md, "Install".')


class DistillBEVEnvironmentError(ImportError):
    """Raised when the installed OpenMMLab stack cannot run distillbev."""


def _installed(dist: str) -> Optional[str]:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _check_window(name: str, found: str, window: Tuple[str, str]) -> None:
    low, high = window
    if not Version(low) <= Version(found) < Version(high):
        raise DistillBEVEnvironmentError(
            f'distillbev needs {low} <= {name} < {high}, but {name} {found} is installed. '
            f'mmdet 3.3 and mmdet3d 1.4 only accept this window. Fix: '
            f'`pip install {name}=={_PINS[name]}` (mmcv must be built with its ops, '
            f'see README.md) or {_INSTALL_HINT}')


_PINS = {'mmcv': '2.1.0', 'mmengine': '0.10.7', 'mmdet': '3.3.0', 'mmdet3d': '1.4.0'}


def check_environment() -> None:
    """Check that mmcv (with compiled ops), mmengine, mmdet and mmdet3d fit.

    Raises:
        DistillBEVEnvironmentError: a package is missing, outside the supported window, or mmcv
            was installed without its compiled ops (``mmcv-lite``).
    """
    if _installed('mmcv-lite') is not None:
        raise DistillBEVEnvironmentError(
            'mmcv-lite is installed, but mmdet3d needs the full mmcv with compiled ops '
            '(mmcv._ext: voxelization, nms, ...). Fix: `pip uninstall -y mmcv-lite mmcv` and then '
            '`MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0`, or ' + _INSTALL_HINT)
    windows = {
        'mmengine': (_v.MMENGINE_MIN, _v.MMENGINE_MAX),
        'mmcv': (_v.MMCV_MIN, _v.MMCV_MAX),
        'mmdet': (_v.MMDET_MIN, _v.MMDET_MAX),
        'mmdet3d': (_v.MMDET3D_MIN, _v.MMDET3D_MAX),
    }
    for name, window in windows.items():
        found = _installed(name)
        if found is None:
            raise DistillBEVEnvironmentError(
                f'{name} is not installed; distillbev needs {window[0]} <= {name} < {window[1]}. '
                f'Fix: {_INSTALL_HINT}')
        _check_window(name, found, window)
    if importlib.util.find_spec('mmcv._ext') is None:
        raise DistillBEVEnvironmentError(
            'mmcv is installed without its compiled ops (no mmcv._ext), e.g. built with '
            'MMCV_WITH_OPS=0. mmdet3d needs them. Fix: `pip uninstall -y mmcv` then '
            '`MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0` (about 20 minutes on '
            '2 cores; pip caches the wheel), or ' + _INSTALL_HINT)
