# Copyright (c) distillbev contributors. All rights reserved.
"""Tiny BEVDet / BEVDepth builds: losses, backward, predict, BEV orientation."""
import copy
import math

import numpy as np
import pytest
import torch

pytest.importorskip('mmcv.ops')

from mmdet3d.registry import MODELS  # noqa: E402
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from mmdet3d.utils import register_all_modules  # noqa: E402

import distillbev  # noqa: E402,F401
from distillbev.models.view_transforms import bev_cell_of  # noqa: E402

register_all_modules()  # default scope mmdet3d, as in a config

PC_RANGE = [-12.8, -12.8, -5.0, 12.8, 12.8, 3.0]
GRID = dict(x=[-12.8, 12.8, 0.8], y=[-12.8, 12.8, 0.8], z=[-5.0, 3.0, 8.0], depth=[1, 20, 1])
C = 8


def tiny_cfg(depth=False):
    vt = dict(type='LiftSplatViewTransformer', in_channels=16, out_channels=C, grid_config=GRID)
    if depth:
        vt = dict(vt, type='BEVDepthViewTransformer',
                  depth_net=dict(mid_channels=16, num_res_blocks=1), loss_depth_weight=3.0)
    return dict(
        type='BEVDepth' if depth else 'BEVDet',
        data_preprocessor=dict(type='Det3DDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=False),
        img_backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=4,
                          out_indices=(2, 3), norm_eval=False, init_cfg=None),
        img_neck=dict(type='mmdet.FPN', in_channels=[32, 64], out_channels=16, num_outs=2),
        img_view_transformer=vt,
        img_bev_encoder_backbone=dict(type='BEVResNetBackbone', in_channels=C,
                                      num_layers=(1, 1, 1)),
        img_bev_encoder_neck=dict(type='BEVLSSFPNNeck', in_channels=2 * C + 8 * C,
                                  out_channels=16),
        pts_bbox_head=dict(
            type='CenterHeadWithPrior', in_channels=16,
            tasks=[dict(num_class=1, class_names=['car']),
                   dict(num_class=1, class_names=['pedestrian'])],
            common_heads=dict(reg=(2, 2), height=(1, 2), dim=(3, 2), rot=(2, 2), vel=(2, 2)),
            share_conv_channel=8,
            bbox_coder=dict(type='CenterPointBBoxCoder', post_center_range=[-20, -20, -10, 20,
                                                                            20, 10],
                            max_num=50, score_threshold=0.0, out_size_factor=8,
                            voxel_size=[0.1, 0.1], code_size=9, pc_range=PC_RANGE[:2]),
            separate_head=dict(type='SeparateHead', init_bias=-2.19, final_kernel=3,
                               head_conv=8),
            loss_cls=dict(type='mmdet.GaussianFocalLoss', reduction='mean'),
            loss_bbox=dict(type='mmdet.L1Loss', reduction='mean', loss_weight=0.25),
            norm_bbox=True),
        train_cfg=dict(pts=dict(
            point_cloud_range=PC_RANGE, grid_size=[256, 256, 40], voxel_size=[0.1, 0.1, 0.2],
            out_size_factor=8, dense_reg=1, gaussian_overlap=0.1, max_objs=50, min_radius=2,
            code_weights=[1.0] * 8 + [0.2, 0.2])),
        test_cfg=dict(pts=dict(
            pc_range=PC_RANGE[:2], post_center_limit_range=[-20, -20, -10, 20, 20, 10],
            max_per_img=50, max_pool_nms=False, min_radius=[4, 0.175], score_threshold=0.0,
            out_size_factor=8, voxel_size=[0.1, 0.1], nms_type='rotate', pre_max_size=100,
            post_max_size=20, nms_thr=0.2)))


def _cam2lidar(yaw):
    c, s = math.cos(yaw), math.sin(yaw)
    m = np.eye(4, dtype=np.float32)
    m[:3, 0], m[:3, 1], m[:3, 2] = [s, -c, 0.0], [0.0, 0.0, -1.0], [c, s, 0.0]
    m[:3, 3] = [0.0, 0.0, 1.5]
    return m


def _metas(yaws=(0.0, math.pi / 2), lidar_aug=None, scale=1.0, shift=(0.0, 0.0)):
    """2 views, 64x128 augmented images; the principal ray hits augmented pixel (56, 24)."""
    n = len(yaws)
    img_aug = np.eye(4, dtype=np.float32)
    img_aug[0, 0] = img_aug[1, 1] = scale
    img_aug[:2, 3] = shift
    k = np.eye(4, dtype=np.float32)
    k[0, 0] = k[1, 1] = 60.0 / scale
    k[0, 2], k[1, 2] = (56.0 - shift[0]) / scale, (24.0 - shift[1]) / scale
    cam2lidar = np.stack([_cam2lidar(y) for y in yaws])
    return dict(
        cam2img=np.stack([k] * n), cam2lidar=cam2lidar,
        lidar2cam=np.linalg.inv(cam2lidar).astype(np.float32),
        img_aug_matrix=np.stack([img_aug] * n),
        lidar_aug_matrix=np.eye(4, dtype=np.float32) if lidar_aug is None else lidar_aug,
        box_type_3d=LiDARInstance3DBoxes, num_views=n)


def _batch(with_depth=False, batch=2):
    torch.manual_seed(0)
    samples = []
    for _ in range(batch):
        sample = Det3DDataSample(metainfo=_metas())
        gt = InstanceData()
        gt.bboxes_3d = LiDARInstance3DBoxes(
            torch.tensor([[6.0, 1.0, -0.5, 4.0, 1.8, 1.6, 0.3, 1.0, 0.0],
                          [1.0, 7.0, -0.8, 0.6, 0.6, 1.7, 0.0, 0.0, 0.5]]), box_dim=9)
        gt.labels_3d = torch.tensor([0, 1])
        sample.gt_instances_3d = gt
        if with_depth:
            depth = torch.zeros(2, 64, 128)
            depth[:, 20:40:3, 30:90:5] = torch.rand(2, 7, 12) * 25 + 0.5
            sample.gt_depth = depth
        samples.append(sample)
    return dict(imgs=torch.randn(batch, 2, 3, 64, 128)), samples


@pytest.mark.parametrize('depth', [False, True])
def test_loss_backward_reaches_image_backbone(depth):
    model = MODELS.build(tiny_cfg(depth))
    model.init_weights()
    for task_head in model.pts_bbox_head.task_heads:  # focal prior applied despite ModuleList
        assert torch.allclose(task_head.heatmap[-1].bias, torch.tensor(-2.19))
    inputs, samples = _batch(with_depth=depth)
    losses = model.loss(inputs, samples)
    assert {'task0.loss_heatmap', 'task0.loss_bbox', 'task1.loss_heatmap'} <= set(losses)
    assert ('loss_depth' in losses) == depth
    if depth:
        assert losses['loss_depth'].item() > 0
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    grad = model.img_backbone.conv1.weight.grad
    assert grad is not None and grad.abs().sum() > 0


@pytest.mark.parametrize('depth', [False, True])
def test_predict_and_feature_shapes(depth):
    model = MODELS.build(tiny_cfg(depth)).eval()
    inputs, samples = _batch(batch=1)
    with torch.no_grad():
        feats = model.extract_feat(inputs, [s.metainfo for s in samples])
        out = model.extract_bev(inputs, [s.metainfo for s in samples])
        results = model.predict(inputs, samples)
        raw = model(inputs, samples, mode='tensor')
    assert len(raw) == 2 and raw[0][0]['heatmap'].shape == (1, 1, 32, 32)
    assert isinstance(feats, list) and feats[0].shape == (1, 16, 32, 32)
    assert out['bev'].shape == (1, C, 32, 32)
    assert out['depth'].shape == (2, 19, 4, 8)
    assert len(results) == 1 and isinstance(results[0], Det3DDataSample)
    pred = results[0].pred_instances_3d
    assert len(pred.bboxes_3d) > 0
    assert pred.bboxes_3d.tensor.shape[1] == 9
    assert pred.scores_3d.shape == pred.labels_3d.shape == (len(pred.bboxes_3d), )
    # module paths the distillers tap
    for path in ('img_view_transformer', 'img_bev_encoder_backbone', 'img_bev_encoder_neck',
                 'pts_bbox_head', 'img_backbone', 'img_neck'):
        assert path in dict(model.named_children())


def _rot_z(angle):
    m = np.eye(4, dtype=np.float32)
    m[:2, :2] = [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    return m


@pytest.mark.parametrize('lidar_aug,expected', [(None, (4, 21)), (_rot_z(math.pi / 2), (21, 27)),
                                                (np.diag([-1.0, 1, 1, 1]).astype(np.float32),
                                                 (4, 10))])
def test_bev_orientation_through_detector(lidar_aug, expected):
    """Only the feature cell that sees LiDAR point (4.47, -8.94) (10 m along the principal ray of
    view 0) is bright: the lit BEV cell is (row = y index, col = x index) of the (augmented)
    point. Metainfo as numpy, with a non-trivial image scale/shift and the lidar2cam fallback."""
    model = MODELS.build(tiny_cfg()).eval()
    vt = model.img_view_transformer
    with torch.no_grad():  # depth: all mass at bin 9 (d = 10 m); context = input channel 0
        vt.depth_net.weight.zero_()
        vt.depth_net.bias.fill_(-50.0)
        vt.depth_net.bias[9] = 50.0
        vt.depth_net.bias[19:] = 0.0
        vt.depth_net.weight[19:, 0] = 1.0
    feats = torch.zeros(1, 2, 16, 4, 8)
    feats[0, 0, 0, 1, 3] = 1.0  # centre of feature cell (1, 3) at stride 16 = pixel (56, 24)
    model.extract_img_feat = lambda imgs: feats
    meta = _metas(yaws=(math.atan2(-8.0, 4.0), math.pi / 2), lidar_aug=lidar_aug, scale=0.5,
                  shift=(-10.0, 5.0))
    del meta['cam2lidar']  # exercise cam2lidar = inv(lidar2cam)
    with torch.no_grad():
        out = model.extract_bev(dict(imgs=torch.zeros(1, 2, 3, 64, 128)), [meta])
    point = np.array([10 * 4 / math.sqrt(80), -10 * 8 / math.sqrt(80), 1.5, 1.0])
    if lidar_aug is not None:
        point = lidar_aug @ point
    assert bev_cell_of(point[:2], GRID) == expected
    energy = out['bev'][0].sum(0)
    assert energy[expected] > C - 1e-3
    assert energy.sum() - energy[expected] < 1e-3
    assert out['bev_feats'][0].shape == (1, 16, 32, 32)


def test_missing_gt_depth_message():
    model = MODELS.build(tiny_cfg(True))
    inputs, samples = _batch(with_depth=False, batch=1)
    samples = [copy.deepcopy(s) for s in samples]
    with pytest.raises(KeyError, match='MultiViewDepthFromLiDAR'):
        model.loss(inputs, samples)
