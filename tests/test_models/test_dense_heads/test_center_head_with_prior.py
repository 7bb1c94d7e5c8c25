# Copyright (c) distillbev contributors. All rights reserved.
"""``CenterHeadWithPrior`` starts at the focal-loss prior; ``import distillbev`` leaves the stock
``CenterHead`` as it is."""
import os
import subprocess
import sys
import textwrap

import torch
from mmengine.hub import get_config
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from mmdet3d.registry import MODELS

STOCK_PILLAR = 'mmdet3d::centerpoint/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.py'


def test_centerpoint_heatmaps_start_at_the_prior():
    DefaultScope.get_instance('test_center_head_with_prior', scope_name='mmdet3d')
    cfg = get_config(STOCK_PILLAR)
    torch.manual_seed(0)
    head = MODELS.build(dict(cfg.model.pts_bbox_head, type='CenterHeadWithPrior'))
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


def test_same_state_dict_keys_as_the_stock_head():
    DefaultScope.get_instance('test_center_head_with_prior_keys', scope_name='mmdet3d')
    cfg = get_config(STOCK_PILLAR).model.pts_bbox_head
    stock = MODELS.build(cfg).state_dict()
    ours = MODELS.build(dict(cfg, type='CenterHeadWithPrior')).state_dict()
    assert list(stock) == list(ours)
    assert all(stock[k].shape == ours[k].shape for k in stock)


_BUILD = textwrap.dedent('''
    import sys
    import torch
    from mmengine.hub import get_config
    from mmdet3d.utils import register_all_modules
    if sys.argv[1] == 'with':
        import distillbev  # noqa: F401  (what custom_imports does)
    register_all_modules()
    from mmdet3d.registry import MODELS
    cfg = get_config({cfg!r})
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(model.pts_bbox_head.state_dict(), sys.argv[2])
''')


def test_import_leaves_the_stock_centerpoint_init_unchanged(tmp_path):
    """The stock CenterPoint-pillar config builds and initialises the same heads, bit for bit,
    with and without ``import distillbev`` (each in a fresh interpreter)."""
    script = tmp_path / 'build.py'
    script.write_text(_BUILD.format(cfg=STOCK_PILLAR))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    states = {}
    for mode in ('without', 'with'):
        out = tmp_path / f'{mode}.pth'
        subprocess.run([sys.executable, str(script), mode, str(out)], check=True, env=env)
        states[mode] = torch.load(out)
    assert list(states['without']) == list(states['with'])
    for key, value in states['without'].items():
        assert torch.equal(value, states['with'][key]), key
    # and the stock heatmap bias is not the prior
    last = [k for k in states['with'] if k.startswith('task_heads.0.heatmap.')][-1]
    bias = states['with'][last]
    assert not torch.allclose(bias, torch.full_like(bias, -2.19))
