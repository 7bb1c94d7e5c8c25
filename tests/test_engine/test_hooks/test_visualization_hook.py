# Copyright (c) distillbev contributors. All rights reserved.
"""DistillVisualizationHook writes the pictures of a training batch every N iterations."""
import os.path as osp
import sys

import cv2
from mmengine.runner import Runner

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'test_models', 'test_distillers'))
from distill_tiny_models import distiller_cfg  # noqa: E402  (and TinyDistillDataset)


def test_pictures_every_interval(tmp_path):
    runner = Runner(
        model=distiller_cfg(), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=dict(type='TinyDistillDataset', n=2), batch_size=1,
                              num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=False, max_iters=2),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=100)),
        custom_hooks=[dict(type='DistillVisualizationHook', interval=2, score_thr=0.0)],
        default_scope='mmdet3d', log_level='WARNING')
    runner.train()
    vis = tmp_path / 'vis'
    assert sorted(p.name for p in vis.iterdir()) == [
        'iter_2_bev.png', 'iter_2_features.png', 'iter_2_targets.png']  # not at iteration 1
    bev = cv2.imread(str(vis / 'iter_2_bev.png'))
    assert bev.shape == (256, 256, 3)  # +-6.4 m at 0.05 m per pixel
    # the three GT footprints (green) and LiDAR points (grey) are drawn
    assert (bev == (0, 255, 0)).all(-1).sum() > 50 and (bev == (160, 160, 160)).all(-1).any()
    assert runner.model.training  # the hook restores the training mode
