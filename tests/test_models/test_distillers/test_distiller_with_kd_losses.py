# Copyright (c) distillbev contributors. All rights reserved.
"""The distiller wired to distillbev's own KD targets and losses (BEVBoxMask,
MaskedFeatureMimicLoss, HeatmapResponseLoss) on the tiny CenterPoint pair."""
import pytest
import torch
from distill_tiny_models import PCR, batch, build, distiller_cfg

from mmdet3d.registry import MODELS

NEEDED = ('BEVBoxMask', 'MaskedFeatureMimicLoss', 'HeatmapResponseLoss')


@pytest.mark.skipif(any(MODELS.get(n) is None for n in NEEDED),
                    reason='distillbev KD targets/losses not available')
def test_distiller_with_distillbev_targets_and_losses():
    torch.manual_seed(0)
    cfg = distiller_cfg(
        kd_targets=dict(fg=dict(type='BEVBoxMask', mode='binary', scale='none',
                                grid=dict(point_cloud_range=PCR, voxel_size=[0.2, 0.2, 8])),
                        fg_head=dict(type='BEVBoxMask', mode='gaussian', scale='none',
                                     grid=dict(point_cloud_range=PCR, voxel_size=[0.2, 0.2, 8],
                                               out_size_factor=4))),
        distill_losses=dict(
            loss_bev=dict(type='MaskedFeatureMimicLoss', loss_weight=2.0,
                          inputs=dict(s_feat='student.bev', t_feat='teacher.bev',
                                      mask='target.fg.mask')),
            loss_hm=dict(type='HeatmapResponseLoss', mode='qfl', loss_weight=0.5,
                         inputs=dict(s_preds='student.heads', t_preds='teacher.heads'))))
    model = build(cfg)
    model.train()
    losses = model(**model.data_preprocessor(batch(), True), mode='loss')
    for key in ('distill.loss_bev', 'distill.loss_hm'):
        assert losses[key].dtype == torch.float32 and torch.isfinite(losses[key])
        assert losses[key] > 0
    total, _ = model.parse_losses(losses)
    total.backward()
    assert model.adapters['bev'].conv.weight.grad.abs().sum() > 0
    hm_weight = model.student.pts_bbox_head.task_heads[0].heatmap[1].weight
    assert hm_weight.grad.abs().sum() > 0
    # fg_head feeds no loss: not computed (warned at build time)
    assert model._used_targets == ['fg']
