# Copyright (c) distillbev contributors. All rights reserved.
"""The LiDAR teacher configs of the generated datasets: each inherits the stock mmdet3d model,
keeps its pillar grid, BEV map and head consistent with its point-cloud range, and the KITTI
ones train a step and predict on the generated KITTI-layout data through the stock pipeline."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from mmdet3d.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CENTERPOINT = sorted(glob.glob(osp.join(ROOT, 'configs', 'centerpoint', '*.py')))
POINTPILLARS = sorted(glob.glob(osp.join(ROOT, 'configs', 'pointpillars', '*.py')))


def _cells(lo: float, hi: float, size: float) -> int:
    cells = (hi - lo) / size
    assert abs(cells - round(cells)) < 1e-6, (lo, hi, size)
    return int(round(cells))


@pytest.mark.parametrize('path', CENTERPOINT, ids=osp.basename)
def test_centerpoint_teacher_grid_is_consistent(path):
    cfg = Config.fromfile(path)
    model = cfg.model
    assert model.type == 'CenterPoint' and model.pts_bbox_head.type == 'CenterHeadWithPrior'
    pcr = model.data_preprocessor.voxel_layer.point_cloud_range
    voxel = model.data_preprocessor.voxel_layer.voxel_size
    assert model.pts_voxel_encoder.point_cloud_range == pcr
    assert model.pts_voxel_encoder.voxel_size == voxel
    nx, ny = _cells(pcr[0], pcr[3], voxel[0]), _cells(pcr[1], pcr[4], voxel[1])
    assert model.pts_middle_encoder.output_shape == [ny, nx]
    train = model.train_cfg.pts
    assert train.grid_size[:2] == [nx, ny] and train.point_cloud_range == pcr
    factor = train.out_size_factor
    assert model.pts_bbox_head.bbox_coder.out_size_factor == factor
    assert model.test_cfg.pts.out_size_factor == factor
    # every generated-data teacher gives the students' 64 x 64 BEV of 0.8 m cells
    assert (nx // factor, ny // factor) == (64, 64)
    assert voxel[0] * factor == pytest.approx(0.8)


@pytest.mark.parametrize('path', POINTPILLARS, ids=osp.basename)
def test_pointpillars_teacher_grid_is_consistent(path):
    cfg = Config.fromfile(path)
    stock = Config.fromfile(osp.join(osp.dirname(path),
                                     'pointpillars_hv_secfpn_1xb4-cyclic-80e_synthetic-kitti-3d'
                                     '-3class.py')).model
    model = cfg.model
    pcr = model.data_preprocessor.voxel_layer.point_cloud_range
    voxel = model.data_preprocessor.voxel_layer.voxel_size
    assert model.voxel_encoder.point_cloud_range == pcr and model.voxel_encoder.voxel_size == voxel
    nx, ny = _cells(pcr[0], pcr[3], voxel[0]), _cells(pcr[1], pcr[4], voxel[1])
    assert model.middle_encoder.output_shape == [ny, nx]
    # only the pillar grid differs from the stock model: same network, anchors and assigners
    for key in ('backbone', 'neck', 'bbox_head', 'train_cfg', 'test_cfg'):
        assert model[key] == stock[key], key
    assert cfg.class_names == ['Pedestrian', 'Cyclist', 'Car']


@pytest.mark.parametrize('path', POINTPILLARS, ids=osp.basename)
def test_pointpillars_teacher_trains_and_predicts_on_generated_kitti(path, synthetic_kitti,
                                                                      synthetic_kitti_infos):
    root, _ = synthetic_kitti
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        train_set = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=root))
        val_set = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=root))
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        batch = pseudo_collate([train_set[0], train_set[1]])
        assert sum(len(s.gt_instances_3d) for s in batch['data_samples']) > 0
        model.train()
        before = model.voxel_encoder.pfn_layers[0].linear.weight.detach().clone()
        log_vars = model.train_step(batch, optim)
        assert {'loss_cls', 'loss_bbox', 'loss_dir'} <= set(log_vars)
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
        after = model.voxel_encoder.pfn_layers[0].linear.weight.detach()
        assert torch.isfinite(after).all() and not torch.equal(before, after)
        model.eval()
        out = model.test_step(pseudo_collate([val_set[0]]))
    pred = out[0].pred_instances_3d
    assert pred.bboxes_3d.tensor.shape[1] == 7
    assert len(pred.scores_3d) == len(pred.labels_3d) == len(pred.bboxes_3d)
