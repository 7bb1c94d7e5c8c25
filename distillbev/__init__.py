# Copyright (c) distillbev contributors. All rights reserved.
"""distillbev: cross-modal knowledge distillation for 3D detection on MMDetection3D 1.x.

Importing the package (directly, or through
``custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)`` in a config)
checks the OpenMMLab stack, fixes mmengine's checkpoint loading/saving on torch >= 2.6 and
registers every distillbev module into mmdet3d's registries (``MODELS``, ``TRANSFORMS``, ...).
"""
from .version import __version__
from .utils.env import check_environment

check_environment()

from .engine.checkpoint import patch_mmengine_checkpointing  # noqa: E402

patch_mmengine_checkpointing()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__']
