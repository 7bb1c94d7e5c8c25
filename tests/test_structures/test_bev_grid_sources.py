# Copyright (c) distillbev contributors. All rights reserved.
"""The one BEV grid parser: from a head (train_cfg / bbox_coder) and from a BEVDet grid_config."""
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from distillbev.models.view_transforms import grid_from_config
from distillbev.structures import BEVGrid

PCR = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]


def _detector(head_attr='pts_bbox_head', train_cfg=None, coder=None):
    model = nn.Module()
    head = nn.Module()
    head.train_cfg = train_cfg
    head.bbox_coder = coder
    setattr(model, head_attr, head)
    return model


def test_from_detector_train_cfg_then_bbox_coder():
    # CenterPoint voxel 0.1: 0.1 m voxels * out_size_factor 8 = 0.8 m cells, 128 x 128
    g = BEVGrid.from_detector(_detector(train_cfg=dict(
        point_cloud_range=PCR, voxel_size=[0.1, 0.1, 0.2], out_size_factor=8)))
    assert g.shape == (128, 128) and g.same_cells(BEVGrid(PCR, cell_size=0.8))
    assert (g.z_min, g.z_max) == (-5.0, 3.0)
    # voxel size / factor from the coder (bbox_head of a single-stage detector)
    coder = SimpleNamespace(voxel_size=[0.2, 0.2], out_size_factor=4, pc_range=PCR[:2])
    g = BEVGrid.from_detector(_detector('bbox_head', dict(point_cloud_range=PCR), coder))
    assert g.shape == (128, 128)
    # only the coder's 2-value pc_range: the extent comes from train_cfg.grid_size (voxels)
    g = BEVGrid.from_detector(_detector(train_cfg=dict(grid_size=[512, 512, 1]), coder=coder))
    assert g.same_cells(BEVGrid(PCR, cell_size=0.8))
    # nothing stated: no grid
    assert BEVGrid.from_detector(_detector(coder=coder)) is None
    assert BEVGrid.from_detector(nn.Module()) is None


def test_from_grid_config_is_what_grid_from_config_returns():
    cfg = dict(x=[-51.2, 51.2, 0.8], y=[-25.6, 25.6, 0.4], z=[-5.0, 3.0, 8.0], depth=[1, 60, 1])
    g = BEVGrid.from_grid_config(cfg)
    assert g.shape == (128, 128) and (g.cell_x, g.cell_y, g.cell_z) == (0.8, 0.4, 8.0)
    assert g.num_z == 1
    lower, interval, sizes = grid_from_config(cfg)
    torch.testing.assert_close(lower, torch.tensor([-51.2, -25.6, -5.0], dtype=torch.float64))
    torch.testing.assert_close(interval, torch.tensor([0.8, 0.4, 8.0], dtype=torch.float64))
    assert sizes == (128, 128, 1)
    with pytest.raises(ValueError, match='positive multiple of step'):
        BEVGrid.from_grid_config(dict(x=[0, 1, 0.3], y=[0, 1, 0.5], z=[0, 1, 1]))
    with pytest.raises(ValueError, match="'z' missing"):
        BEVGrid.from_grid_config(dict(x=[0, 1, 0.5], y=[0, 1, 0.5]))
