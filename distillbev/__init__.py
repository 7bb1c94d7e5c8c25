# Copyright (c) distillbev contributors. All rights reserved.
"""distillbev: cross-modal knowledge distillation for 3D detection on MMDetection3D 1.x.

Importing the package (directly, or through
``custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)`` in a config)
checks the OpenMMLab stack, registers every distillbev module into mmdet3d's registries
(``MODELS``, ``TRANSFORMS``, ...) and applies the few compatibility patches listed in
:mod:`distillbev.utils.compat` (checkpoint loading/saving on torch >= 2.6, KITTI overlaps without
CUDA, devkit on all-empty predictions), each of which can be turned off with
``DISTILLBEV_NO_PATCH``. It changes no stock model: behaviour changes are classes that a config
names (e.g. ``CenterHeadWithPrior``).
"""
from .version import __version__
from .utils.env import check_environment

check_environment()

from .utils import compat  # noqa: E402

compat.apply_all()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'compat']
