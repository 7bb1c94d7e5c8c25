# Copyright (c) distillbev contributors. All rights reserved.
"""With distillbev imported, the stock CenterPoint head gets its heatmap bias prior."""
import math

import torch
from mmengine.hub import get_config
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from mmdet3d.registry import MODELS


def test_stock_centerpoint_task_heads_are_initialised():
    DefaultScope.get_instance('test_centerhead_init', scope_name='mmdet3d')
    cfg = get_config(
        'mmdet3d::centerpoint/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.py')
    head = MODELS.build(cfg.model.pts_bbox_head)
    head.init_weights()
    assert len(head.task_heads) == 6
    for task_head in head.task_heads:
        bias = task_head.heatmap[-1].bias
        assert torch.allclose(bias, torch.full_like(bias, -2.19))
    # every heatmap cell starts at the focal-loss prior p = sigmoid(-2.19) ~ 0.1
    assert math.isclose(torch.sigmoid(torch.tensor(-2.19)).item(), 0.1006, abs_tol=1e-3)
