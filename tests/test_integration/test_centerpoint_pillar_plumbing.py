# Copyright (c) distillbev contributors. All rights reserved.
"""Plumbing proof with a real model: the stock mmdet3d CenterPoint-pillar nuScenes config, built
through mmdet3d's registry with distillbev imported, trains one step and predicts on CPU, and its
weights survive a save/load round trip through the (patched) mmengine checkpoint functions."""
import numpy as np
import torch
from mmengine.hub import get_config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmengine.runner import runner as mm_runner
from mmengine.structures import InstanceData

import distillbev  # noqa: F401
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes

STOCK_CFG = 'mmdet3d::centerpoint/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.py'


def _scene(seed: int):
    """A small LiDAR scene: ground returns plus dense returns on two cars and a pedestrian."""
    rng = np.random.default_rng(seed)
    boxes = np.array([[10.0, -20.0, -1.0, 4.5, 1.9, 1.6, 0.3, 2.0, 0.0],
                      [-15.0, 5.0, -1.0, 4.2, 1.8, 1.5, -1.2, 0.0, 0.0],
                      [5.0, 8.0, -1.0, 0.7, 0.7, 1.8, 0.0, 0.5, 0.5]], dtype=np.float32)
    ground = np.c_[rng.uniform(-50, 50, (3000, 2)), np.full((3000, 1), -1.8)]
    parts = [ground]
    for x, y, z, l, w, h, yaw, *_ in boxes:
        local = rng.uniform(-0.5, 0.5, (400, 3)) * [l, w, h]
        c, s = np.cos(yaw), np.sin(yaw)
        rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
        parts.append(local @ rot.T + [x, y, z + h / 2])
    xyz = np.concatenate(parts).astype(np.float32)
    feats = np.c_[xyz, rng.uniform(0, 1, (len(xyz), 1)), np.zeros((len(xyz), 1))]
    sample = Det3DDataSample(metainfo=dict(box_type_3d=LiDARInstance3DBoxes))
    gt = InstanceData()
    gt.bboxes_3d = LiDARInstance3DBoxes(torch.from_numpy(boxes), box_dim=9)
    gt.labels_3d = torch.tensor([0, 0, 8])
    sample.gt_instances_3d = gt
    return torch.from_numpy(feats.astype(np.float32)), sample


def test_stock_centerpoint_pillar_trains_predicts_and_round_trips(tmp_path):
    DefaultScope.get_instance('test_plumbing', scope_name='mmdet3d')
    torch.manual_seed(0)
    cfg = get_config(STOCK_CFG)
    model = MODELS.build(cfg.model)
    model.init_weights()
    scenes = [_scene(0), _scene(1)]
    batch = dict(inputs=dict(points=[p for p, _ in scenes]), data_samples=[s for _, s in scenes])

    model.train()
    data = model.data_preprocessor(batch, training=True)
    losses = model(**data, mode='loss')
    total, log_vars = model.parse_losses(losses)
    assert torch.isfinite(total) and total.item() > 0
    assert {'task0.loss_heatmap', 'task0.loss_bbox', 'task5.loss_heatmap'} <= set(log_vars)
    total.backward()
    grad = model.pts_voxel_encoder.pfn_layers[0].linear.weight.grad
    assert grad is not None and grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, training=False)
        results = model(**data, mode='predict')
    assert len(results) == 2
    pred = results[0].pred_instances_3d
    assert pred.bboxes_3d.tensor.shape[1] == 9
    assert len(pred.scores_3d) == len(pred.labels_3d) == len(pred.bboxes_3d)

    path = str(tmp_path / 'centerpoint.pth')
    mm_runner.save_checkpoint(
        dict(meta=dict(seed=np.int64(0)), state_dict=model.state_dict()), path)
    reloaded = MODELS.build(cfg.model)
    load_checkpoint(reloaded, path, map_location='cpu', strict=True)
    ref, new = model.state_dict(), reloaded.state_dict()
    assert ref.keys() == new.keys()
    for key in ref:
        assert torch.equal(ref[key], new[key]), key
