# Copyright (c) distillbev contributors. All rights reserved.
"""With distillbev imported, the stock CenterPoint head starts at the focal-loss prior."""
import torch
from mmengine.hub import get_config
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from mmdet3d.registry import MODELS


def test_stock_centerpoint_heatmaps_start_at_the_prior():
    DefaultScope.get_instance('test_centerhead_init', scope_name='mmdet3d')
    cfg = get_config(
        'mmdet3d::centerpoint/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.py')
    torch.manual_seed(0)
    head = MODELS.build(cfg.model.pts_bbox_head)
    head.init_weights()
    assert len(head.task_heads) == 6
    for task_head in head.task_heads:
        bias = task_head.heatmap[-1].bias
        assert torch.equal(bias, torch.full_like(bias, -2.19))
    # On unit-variance BEV features every heatmap starts near sigmoid(-2.19) = 0.10, not 0.5
    # (no init) and not saturated (mmdet3d's Kaiming fan-out init_cfg of the task heads).
    head.eval()
    with torch.no_grad():
        outs = head([torch.randn(2, 384, 32, 32)])
    for task_out in outs:
        prob = task_out[0]['heatmap'].sigmoid()
        assert 0.05 < prob.mean().item() < 0.2
        assert (prob > 0.9).float().mean().item() < 0.01
