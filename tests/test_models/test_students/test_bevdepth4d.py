# Copyright (c) distillbev contributors. All rights reserved.
"""BEVDepth4D: the previous frame's BEV warped into the current frame (cell placement checked),
and one training step and one prediction of the generated-data config through TemporalFrames."""
import math
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from distillbev.datasets.temporal_infos import add_temporal_infos
from distillbev.models.students import warp_bev
from distillbev.structures.bev_grid import BEVGrid

GRID = BEVGrid([-8.0, -8.0, 8.0, 8.0], cell_size=0.8)  # 20 x 20
CFG = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'students',
               'bevdepth4d_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py')


def _hot(x, y):
    bev = torch.zeros(1, 2, 20, 20)
    col, row = int((x + 8.0) / 0.8), int((y + 8.0) / 0.8)
    bev[0, :, row, col] = 1.0
    return bev


def _peak(bev):
    row, col = np.unravel_index(bev[0, 0].argmax().item(), (20, 20))
    return -8.0 + (col + 0.5) * 0.8, -8.0 + (row + 0.5) * 0.8  # cell centre (x, y)


def test_warp_translation_and_rotation():
    prev = _hot(4.4, -2.0)  # an object at (4.4, -2.0) in the previous frame
    # the ego moved 2.4 m forward: a current point (x, y) was at (x + 2.4, y) before
    shift = torch.eye(4)[None]
    shift[0, 0, 3] = 2.4
    warped = warp_bev(prev, shift, GRID)
    assert np.allclose(_peak(warped), (2.0, -2.0))
    assert warped[0, 0].max() == 1.0  # a whole-cell shift resamples exactly
    # the ego turned by 90 degrees: current (x, y) was at (-y, x) in the previous frame
    rot = torch.eye(4)[None]
    c, s = math.cos(math.pi / 2), math.sin(math.pi / 2)
    rot[0, :2, :2] = torch.tensor([[c, -s], [s, c]])
    assert np.allclose(_peak(warp_bev(prev, rot, GRID)), (-2.0, -4.4), atol=0.41)
    # identity keeps the map
    assert torch.allclose(warp_bev(prev, torch.eye(4)[None], GRID), prev, atol=1e-5)


def test_one_training_step_through_temporal_frames(synthetic_nus, synthetic_nus_infos):
    from mmdet3d.registry import DATASETS, MODELS
    root, _ = synthetic_nus
    add_temporal_infos(root, 'v1.0-trainval', [osp.join(root, 'nuscenes_infos_train.pkl')])
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(CFG)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.dataset.data_root = root
    dataset = DATASETS.build(ds_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    np.random.seed(0)
    batch = model.data_preprocessor(pseudo_collate([dataset[1], dataset[2]]), True)
    prev = batch['inputs']['prev_imgs']
    assert len(prev) == 1 and prev[0].shape == batch['inputs']['imgs'].shape
    assert prev[0].dtype == torch.float32 and prev[0].abs().max() < 10  # normalised
    losses = model.loss(batch['inputs'], batch['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and 'loss_depth' in losses
    total.backward()
    assert model.img_bev_encoder_backbone.stages[0][0].conv1.weight.grad is not None
    # the history is used: other previous images give other losses
    with torch.no_grad():
        batch['inputs']['prev_imgs'] = [torch.zeros_like(prev[0])]
        other = model.loss(batch['inputs'], batch['data_samples'])
    assert other['task0.loss_heatmap'] != losses['task0.loss_heatmap'].detach()
    # the config evaluates through TemporalFrames too: each val sample with its previous key frame
    add_temporal_infos(root, 'v1.0-trainval', [osp.join(root, 'nuscenes_infos_val.pkl')])
    val_cfg = cfg.val_dataloader.dataset
    assert val_cfg.type == 'TemporalFrames' and val_cfg.dataset.test_mode
    val_cfg.dataset.data_root = root
    val_set = DATASETS.build(val_cfg)
    model.eval()
    with torch.no_grad():
        val_batch = model.data_preprocessor(pseudo_collate([val_set[1]]), False)
        assert len(val_batch['inputs']['prev_imgs']) == 1
        preds = model.predict(val_batch['inputs'], val_batch['data_samples'])
        metas = [d.metainfo for d in val_batch['data_samples']]
        with_prev = model.extract_bev(val_batch['inputs'], metas)['bev_feats'][0]
        # without history (a pipeline without TemporalFrames) the current frame is repeated
        alone = model.extract_bev(dict(imgs=val_batch['inputs']['imgs']), metas)['bev_feats'][0]
    assert len(preds) == 1 and 'bboxes_3d' in preds[0].pred_instances_3d
    assert not torch.allclose(with_prev, alone)
