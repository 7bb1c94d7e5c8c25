# Copyright (c) distillbev contributors. All rights reserved.
"""CMKDMonoBEV on a tiny KITTI-like camera: trains (anchor-head GT losses + LID focal depth
loss), predicts LiDAR boxes, runs its head without GT losses when det_loss_weight is 0, and
stays finite on an empty scene."""
import numpy as np
import pytest
import torch
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import distillbev  # noqa: F401
from distillbev.datasets.synthetic.kitti import kitti_calib

HW = (64, 192)
RANGE = [0, -12.8, -3, 25.6, 12.8, 1]
GRID = dict(x=[0, 25.6, 0.4], y=[-12.8, 12.8, 0.4], z=[-3.0, 1.0, 2.0],
            depth=dict(mode='LID', min=2.0, max=30.0, num_bins=16))


def tiny_student(**kwargs):
    cfg = dict(
        type='CMKDMonoBEV',
        img_backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=4,
                          out_indices=(1, 2, 3), norm_cfg=dict(type='BN'), init_cfg=None),
        img_neck=dict(type='mmdet.FPN', in_channels=[16, 32, 64], out_channels=16, num_outs=3),
        img_view_transformer=dict(type='LIDDepthViewTransformer', in_channels=16,
                                  out_channels=8, grid_config=GRID, downsample=8),
        bev_compressor=dict(type='Conv2DCollapse', in_channels=16, out_channels=8),
        backbone=dict(type='SECOND', in_channels=8, layer_nums=[1, 1], layer_strides=[2, 2],
                      out_channels=[8, 16]),
        neck=dict(type='SECONDFPN', in_channels=[8, 16], upsample_strides=[1, 2],
                  out_channels=[8, 8]),
        bbox_head=dict(
            type='Anchor3DHead', num_classes=1, in_channels=16, feat_channels=16,
            use_direction_classifier=True,
            anchor_generator=dict(type='AlignedAnchor3DRangeGenerator',
                                  ranges=[[0, -12.8, -1.78, 25.6, 12.8, -1.78]],
                                  sizes=[[3.9, 1.6, 1.56]], rotations=[0, 1.57],
                                  reshape_out=True),
            diff_rad_by_sin=True, bbox_coder=dict(type='DeltaXYZWLHRBBoxCoder'),
            loss_cls=dict(type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                          loss_weight=1.0),
            loss_bbox=dict(type='mmdet.SmoothL1Loss', beta=1.0 / 9.0, loss_weight=2.0),
            loss_dir=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=0.2)),
        train_cfg=dict(assigner=dict(type='Max3DIoUAssigner',
                                     iou_calculator=dict(type='BboxOverlapsNearest3D'),
                                     pos_iou_thr=0.6, neg_iou_thr=0.45, min_pos_iou=0.45,
                                     ignore_iof_thr=-1),
                       allowed_border=0, pos_weight=-1, debug=False),
        test_cfg=dict(use_rotate_nms=True, nms_across_levels=False, nms_thr=0.01,
                      score_thr=0.0, min_bbox_size=0, nms_pre=100, max_num=50))
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.init_weights()
    return model


def kitti_sample(with_box=True):
    """One KITTI-camera sample (the 1242x375 rig scaled to 192 wide), a car 12 m ahead and a
    sparse LiDAR depth image."""
    calib = kitti_calib(58, 192)
    p2, r0, tr = np.eye(4), np.eye(4), np.eye(4)
    p2[:3], r0[:3, :3], tr[:3] = calib['P2'], calib['R0_rect'], calib['Tr_velo_to_cam']
    meta = dict(cam2img=p2[None].astype(np.float32), lidar2cam=(r0 @ tr)[None].astype(np.float32),
                img_aug_matrix=np.eye(4, dtype=np.float32)[None],
                lidar_aug_matrix=np.eye(4, dtype=np.float32), img_shape=HW, pad_shape=HW,
                box_type_3d=LiDARInstance3DBoxes, sample_idx=0)
    sample = Det3DDataSample(metainfo=meta)
    boxes = torch.tensor([[12.0, 1.0, -1.7, 3.9, 1.6, 1.56, 0.3]]) if with_box \
        else torch.zeros(0, 7)
    sample.gt_instances_3d = InstanceData(bboxes_3d=LiDARInstance3DBoxes(boxes),
                                          labels_3d=torch.zeros(len(boxes), dtype=torch.long))
    depth = torch.zeros(1, *HW)
    depth[0, 40:60:3, ::5] = torch.linspace(4.0, 40.0, 39)  # 30 m and more: out of range
    sample.gt_depth = depth
    return sample


def test_train_step_losses_and_gradients():
    model = tiny_student()
    model.train()
    imgs = torch.randn(1, 1, 3, *HW)
    losses = model.loss(dict(imgs=imgs), [kitti_sample()])
    assert {'loss_cls', 'loss_bbox', 'loss_dir', 'loss_depth'} <= set(losses)
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    for name in ('img_backbone', 'img_view_transformer', 'bev_compressor', 'backbone',
                 'bbox_head'):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in getattr(model, name).parameters()), name
    # the lifted map lies on the grid of GRID; the compressed map has the teacher's channels
    out = model.extract_bev(dict(imgs=imgs), [kitti_sample().metainfo])
    assert out['lifted'].shape == (1, 8 * 2, 64, 64) and out['bev'].shape == (1, 8, 64, 64)
    assert out['depth'].shape == (1, 17, 8, 24)


def test_det_loss_weight_zero_runs_the_head_only():
    model = tiny_student(det_loss_weight=0.0)
    seen = []
    model.bbox_head.register_forward_hook(lambda m, a, o: seen.append(len(o)))
    losses = model.loss(dict(imgs=torch.randn(1, 3, *HW)), [kitti_sample()])
    assert set(losses) == {'loss_depth'} and seen == [3]


def test_empty_scene_gives_finite_losses():
    model = tiny_student()
    model.train()
    losses = model.loss(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample(with_box=False)])
    total, log_vars = model.parse_losses(losses)
    assert torch.isfinite(total), log_vars
    total.backward()


def test_predict_gives_lidar_boxes():
    model = tiny_student()
    model.eval()
    with torch.no_grad():
        out = model.predict(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample()])
    pred = out[0].pred_instances_3d
    assert isinstance(pred.bboxes_3d, LiDARInstance3DBoxes)
    assert len(pred.bboxes_3d) == len(pred.scores_3d) == len(pred.labels_3d) > 0
    raw = model._forward(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample()])
    assert raw[0][0].shape == (1, 2, 32, 32)  # 2 anchors x 1 class at the head's 0.8 m cells


def test_missing_depth_target_names_the_fix():
    model = tiny_student()
    sample = kitti_sample()
    del sample.gt_depth
    with pytest.raises(KeyError, match='MultiViewDepthFromLiDAR'):
        model.loss(dict(imgs=torch.randn(1, 1, 3, *HW)), [sample])


SCNET = dict(type='SCNetBEVNeck', in_channels=8, num_blocks=2)


def test_bev_neck_sits_between_the_collapse_and_the_bev_backbone():
    """CMKD's SCNet: the backbone reads the neck's output, which is extract_bev's 'bev' (the
    distilled level, tap 'bev_neck'); without a bev_neck the module is an identity."""
    from distillbev.models.layers import SCNetBEVNeck
    model = tiny_student(bev_neck=SCNET)
    assert isinstance(model.bev_neck, SCNetBEVNeck) and len(model.bev_neck.blocks) == 2
    model.eval()
    seen = {}
    model.bev_compressor.register_forward_hook(lambda m, a, o: seen.update(collapsed=o))
    model.backbone.register_forward_hook(lambda m, a, o: seen.update(backbone_in=a[0]))
    with torch.no_grad():
        out = model.extract_bev(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample().metainfo])
        refined = model.bev_neck(seen['collapsed'])
    assert torch.equal(out['bev'], refined) and torch.equal(seen['backbone_in'], refined)
    assert not torch.equal(refined, seen['collapsed'])
    plain = tiny_student()
    assert isinstance(plain.bev_neck, torch.nn.Identity)
    assert not list(plain.bev_neck.parameters())


def test_train_head_false_trains_the_image_branch_only():
    """CMKD stage 1: loss() stops at the distilled level; the BEV backbone, neck and head do not
    run and get no gradient; predict still runs the whole model."""
    model = tiny_student(bev_neck=SCNET, train_head=False)
    ran = []
    for name in ('backbone', 'neck', 'bbox_head'):
        getattr(model, name).register_forward_hook(lambda m, a, o, n=name: ran.append(n))
    model.train()
    losses = model.loss(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample()])
    assert set(losses) == {'loss_depth'} and ran == []
    # what the distiller adds in stage 1: a loss on the distilled map
    out = model.extract_bev(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample().metainfo],
                            with_bev_backbone=False)
    assert out['feats'] is None and ran == []
    (losses['loss_depth'] + out['bev'].square().mean()).backward()
    for name in ('img_backbone', 'img_view_transformer', 'bev_compressor', 'bev_neck'):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in getattr(model, name).parameters()), name
    for name in ('backbone', 'neck', 'bbox_head'):
        assert all(p.grad is None for p in getattr(model, name).parameters()), name
    model.eval()
    with torch.no_grad():
        pred = model.predict(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample()])
    assert ran == ['backbone', 'neck', 'bbox_head']
    assert len(pred[0].pred_instances_3d.bboxes_3d) > 0


def test_without_img_neck_the_backbone_level_feeds_the_view_transformer():
    """CMKD's DeepLabV3 layer3 straight into the view transformer (its 1x1 context conv is the
    channel reduction): a ResNet-18 stage-2 output (stride 8, 16 channels here), no neck."""
    model = tiny_student(
        img_backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=2,
                          strides=(1, 2), dilations=(1, 1), out_indices=(1, ),
                          norm_cfg=dict(type='BN'), init_cfg=None),
        img_neck=None,
        img_view_transformer=dict(type='LIDDepthViewTransformer', in_channels=16,
                                  out_channels=8, grid_config=GRID, downsample=8))
    assert model.img_neck is None
    model.train()
    losses = model.loss(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample()])
    assert {'loss_cls', 'loss_bbox', 'loss_dir', 'loss_depth'} <= set(losses)
    out = model.extract_bev(dict(imgs=torch.randn(1, 1, 3, *HW)), [kitti_sample().metainfo])
    assert out['depth'].shape == (1, 17, 8, 24)
