# Copyright (c) distillbev contributors. All rights reserved.
"""Make mmdet3d's ``CenterHead.init_weights`` initialise its task heads.

mmdet3d 1.4's ``CenterHead`` keeps its ``SeparateHead``/``DCNSeparateHead`` modules in a plain
``nn.ModuleList``. mmengine's recursive ``BaseModule.init_weights`` only calls ``init_weights`` on
children that define it, so it never reaches them: their Kaiming init and, above all, the
heatmap bias prior ``init_bias=-2.19`` (CenterPoint's focal-loss prior, p = 0.1) are never applied.
The first heatmap losses are then ~100x too large (every cell starts at p = 0.5) and short
schedules (and teachers trained on small data) suffer. ``import distillbev`` patches
``CenterHead.init_weights`` to run each task head's own ``init_weights`` first, so any init_cfg of
the head itself (e.g. ``Pretrained``) still applies last. Loading a checkpoint is unaffected.
"""
from mmdet3d.models.dense_heads import CenterHead

_ORIGINAL_INIT = CenterHead.init_weights


def _init_weights_with_task_heads(self: CenterHead) -> None:
    for task_head in self.task_heads:
        if hasattr(task_head, 'init_weights') and not getattr(task_head, 'is_init', False):
            task_head.init_weights()
            task_head._is_init = True
    _ORIGINAL_INIT(self)


def patch_centerhead_init() -> None:
    """Install the fix (idempotent)."""
    CenterHead.init_weights = _init_weights_with_task_heads
