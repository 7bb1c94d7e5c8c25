# Copyright (c) distillbev contributors. All rights reserved.
import math

import pytest
import torch
from torch import nn

from distillbev.models.view_transforms import (BEVDepthViewTransformer,
                                               LiftSplatViewTransformer, bev_cell_of)

GRID = dict(x=[-51.2, 51.2, 0.8], y=[-51.2, 51.2, 0.8], z=[-5.0, 3.0, 8.0], depth=[1, 60, 1])


def _cam2lidar(yaw, t=(0.0, 0.0, 0.0)):
    c, s = math.cos(yaw), math.sin(yaw)
    m = torch.eye(4)
    m[:3, 0] = torch.tensor([s, -c, 0.0])
    m[:3, 1] = torch.tensor([0.0, 0.0, -1.0])
    m[:3, 2] = torch.tensor([c, s, 0.0])
    m[:3, 3] = torch.tensor(t)
    return m


def _cam_params(lidar_aug=None, num_views=2):
    k = torch.eye(4)
    k[0, 0] = k[1, 1] = 20.0
    k[0, 2], k[1, 2] = 20.0, 12.0  # principal point = centre of feature cell (1, 2), stride 8
    yaws = [math.atan2(-20.0, 10.0), math.pi / 2][:num_views]
    return dict(
        cam2img=k.expand(1, num_views, 4, 4).clone(),
        cam2lidar=torch.stack([_cam2lidar(y) for y in yaws])[None],
        img_aug_matrix=torch.eye(4).expand(1, num_views, 4, 4).clone(),
        lidar_aug_matrix=(torch.eye(4) if lidar_aug is None else lidar_aug)[None])


def _peaked_inputs(vt, num_views, cell_hw, depth_bin, h=2, w=4):
    """Depth logits peaked at one bin and context 1 only at one feature cell of view 0."""
    d, c = vt.depth_channels, vt.out_channels
    x = torch.zeros(1, num_views, d + c, h, w)
    x[0, :, :d] = -50.0
    x[0, :, depth_bin] = 50.0
    x[0, 0, d:, cell_hw[0], cell_hw[1]] = 1.0
    return x


def test_lss_shapes_and_depth():
    vt = LiftSplatViewTransformer(16, 8, GRID, downsample=8)
    params = _cam_params()
    bev, depth = vt(torch.randn(1, 2, 16, 2, 4), params, img_shape=(16, 32))
    assert bev.shape == (1, 8, 128, 128) and vt.bev_shape == (128, 128)
    assert depth.shape == (2, 59, 2, 4)
    torch.testing.assert_close(depth.sum(1), torch.ones(2, 2, 4))


def test_lss_orientation_row_y_col_x():
    """The camera pixel that sees (x, y) ~ (10, -20) lights BEV cell (row=y, col=x)."""
    vt = LiftSplatViewTransformer(59 + 3, 3, GRID, downsample=8)
    vt.depth_net = nn.Identity()
    # principal ray of view 0 points to azimuth atan2(-20, 10); depth bin 21 = plane d = 22 m
    point = 22.0 * torch.tensor([10.0, -20.0]) / math.sqrt(500.0)  # (9.839, -19.677)
    x = _peaked_inputs(vt, 2, (1, 2), depth_bin=21)
    bev, _ = vt(x, _cam_params(), img_shape=(16, 32))
    assert bev_cell_of(point.tolist(), GRID) == (39, 76)  # row = floor(31.52 / 0.8) etc.
    energy = bev[0].sum(0)
    assert energy[39, 76] > 2.99  # 3 context channels of value 1
    assert energy.sum() - energy[39, 76] < 1e-3  # and nothing anywhere else
    # with a BEV flip along y the same pixel lights (row of -y, same col)
    flip_y = torch.diag(torch.tensor([1.0, -1.0, 1.0, 1.0]))
    bev, _ = vt(x, _cam_params(flip_y), img_shape=(16, 32))
    assert bev_cell_of((point[0].item(), -point[1].item()), GRID) == (88, 76)
    assert bev[0].sum(0)[88, 76] > 2.99


def test_bevdepth_camera_vector_and_loss():
    vt = BEVDepthViewTransformer(
        16, 8, dict(GRID, depth=[2, 58, 0.5]), downsample=8,
        depth_net=dict(mid_channels=8, num_res_blocks=1))
    params = _cam_params()
    params['img_aug_matrix'][0, 1, :2, :2] = torch.tensor([[0.5, 0.1], [-0.1, 0.5]])
    params['img_aug_matrix'][0, 1, :2, 3] = torch.tensor([3.0, -4.0])
    params['lidar_aug_matrix'][0, :3, :3] *= 1.05
    vec = vt.camera_vector(params)
    assert vec.shape == (2, 27)
    assert vec[0, :4].tolist() == [20.0, 20.0, 20.0, 12.0]
    torch.testing.assert_close(vec[1, 4:10], torch.tensor([0.5, 0.1, -0.1, 0.5, 3.0, -4.0]))
    torch.testing.assert_close(vec[1, 10:15], torch.tensor([1.05, 0.0, 0.0, 1.05, 1.05]))
    torch.testing.assert_close(vec[1, 15:], params['cam2lidar'][0, 1, :3].reshape(12))
    feats = torch.randn(1, 2, 16, 2, 4, requires_grad=True)
    bev, depth = vt(feats, params, img_shape=(16, 32))
    assert bev.shape == (1, 8, 128, 128) and depth.shape == (2, 112, 2, 4)
    gt = torch.zeros(1, 2, 16, 32)
    gt[0, 0, 3, 5] = 10.2  # bin floor((10.2 - 2) / 0.5) = 16
    gt[0, 1, 9, 30] = 70.0  # out of range: ignored
    loss = vt.loss_depth(depth, gt, img_shape=(16, 32))
    expected = -(torch.log(depth[0, 16, 0, 0]) +
                 torch.log(1 - depth[0, :, 0, 0]).sum() - torch.log(1 - depth[0, 16, 0, 0]))
    torch.testing.assert_close(loss, 3.0 * expected)
    (loss + bev.sum()).backward()
    assert feats.grad.abs().sum() > 0


def test_depth_net_with_aspp_and_dcn():
    pytest.importorskip('mmcv.ops')
    from distillbev.models.view_transforms import CameraAwareDepthNet
    net = CameraAwareDepthNet(16, 16, 8, 12, num_res_blocks=1, use_aspp=True, use_dcn=True)
    x = torch.randn(2, 16, 4, 6, requires_grad=True)
    out = net(x, torch.randn(2, 27))
    assert out.shape == (2, 12 + 8, 4, 6)
    out.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
