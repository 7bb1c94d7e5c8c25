# Copyright (c) distillbev contributors. All rights reserved.
"""Tiny teacher/student configs, scenes and test losses for the distiller tests (CPU, seconds).

Teacher: the stock mmdet3d CenterPoint-pillar nuScenes model (``mmdet3d::`` config) on a reduced
grid (+-6.4 m, 0.2 m pillars -> 64x64 canvas, 16x16 head). Student: the same architecture with
few channels and its own voxel layer (``max_num_points`` differs from the teacher's, so the
teacher's voxels must come from the teacher's own preprocessor).
"""
import copy

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DATASETS, DefaultScope
from mmengine.structures import InstanceData
from torch import nn

import distillbev  # noqa: F401
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes

STOCK_CFG = 'mmdet3d::centerpoint/centerpoint_pillar02_second_secfpn_8xb4-cyclic-20e_nus-3d.py'
R = 6.4
PCR = [-R, -R, -5.0, R, R, 3.0]


def use_mmdet3d_scope() -> None:
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('distill_tests', scope_name='mmdet3d')


def _set_grid(model: dict, pcr) -> dict:
    canvas = int(round((pcr[3] - pcr[0]) / 0.2))
    model.data_preprocessor.voxel_layer.point_cloud_range = pcr
    model.data_preprocessor.voxel_layer.max_voxels = (4000, 4000)
    model.pts_voxel_encoder.point_cloud_range = pcr
    model.pts_middle_encoder.output_shape = (canvas, canvas)
    model.pts_bbox_head.bbox_coder.pc_range = pcr[:2]
    model.pts_bbox_head.bbox_coder.post_center_range = [pcr[0] - 2, pcr[1] - 2, -10,
                                                        pcr[3] + 2, pcr[4] + 2, 10]
    model.train_cfg.pts.point_cloud_range = pcr
    model.train_cfg.pts.grid_size = [canvas, canvas, 1]
    model.test_cfg.pts.pc_range = pcr[:2]
    model.test_cfg.pts.post_center_limit_range = model.pts_bbox_head.bbox_coder.post_center_range
    model.test_cfg.pts.pre_max_size = 100
    model.test_cfg.pts.post_max_size = 20
    model.test_cfg.pts.score_threshold = 0.02
    model.pts_bbox_head.bbox_coder.score_threshold = 0.02
    model.pts_bbox_head.bbox_coder.max_num = 100
    model.test_cfg.pts.max_per_img = 100
    return model


def teacher_cfg(pcr=PCR) -> dict:
    """The stock CenterPoint-pillar model on a small grid."""
    return _set_grid(copy.deepcopy(Config.fromfile(
        distillbev.models.distillers.teacher.resolve_config_path(STOCK_CFG)).model), pcr)


def student_cfg(pcr=PCR) -> dict:
    """Same architecture, few channels; share_conv_channel=64 as the teacher (task heads can be
    inherited); its own voxel layer (max 10 points per pillar)."""
    m = teacher_cfg(pcr)
    m.data_preprocessor.voxel_layer.max_num_points = 10
    m.pts_voxel_encoder.feat_channels = [16]
    m.pts_middle_encoder.in_channels = 16
    m.pts_backbone.update(in_channels=16, out_channels=[16, 32, 64], layer_nums=[1, 1, 1])
    m.pts_neck.update(in_channels=[16, 32, 64], out_channels=[16, 16, 16])
    m.pts_bbox_head.in_channels = 48
    return m


def scene(seed: int, n_ground: int = 300):
    """Points (N, 5) and a data sample with three boxes (two cars, a pedestrian)."""
    rng = np.random.default_rng(seed)
    boxes = np.array([[2.5, -3.0, -1.0, 3.9, 1.7, 1.6, 0.3, 2.0, 0.0],
                      [-3.0, 2.0, -1.0, 3.6, 1.6, 1.5, -1.2, 0.0, 0.0],
                      [1.0, 4.0, -1.0, 0.7, 0.7, 1.8, 0.0, 0.5, 0.5]], dtype=np.float32)
    parts = [np.c_[rng.uniform(-R, R, (n_ground, 2)), np.full((n_ground, 1), -1.8)]]
    for x, y, z, l, w, h, yaw, *_ in boxes:
        local = rng.uniform(-0.5, 0.5, (100, 3)) * [l, w, h]
        c, s = np.cos(yaw), np.sin(yaw)
        parts.append(local @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T + [x, y, z + h / 2])
    xyz = np.concatenate(parts).astype(np.float32)
    pts = np.c_[xyz, rng.uniform(0, 1, (len(xyz), 1)), np.zeros((len(xyz), 1))]
    sample = Det3DDataSample(metainfo=dict(box_type_3d=LiDARInstance3DBoxes, sample_idx=seed))
    gt = InstanceData()
    gt.bboxes_3d = LiDARInstance3DBoxes(torch.from_numpy(boxes), box_dim=9)
    gt.labels_3d = torch.tensor([0, 0, 8])
    sample.gt_instances_3d = gt
    return torch.from_numpy(pts.astype(np.float32)), sample


def batch(seeds=(0, 1)) -> dict:
    """A raw (not preprocessed) batch as the dataloader's pseudo_collate gives it."""
    scenes = [scene(s) for s in seeds]
    return dict(inputs=dict(points=[p for p, _ in scenes]), data_samples=[s for _, s in scenes])


@MODELS.register_module(force=True)
class _TestFeatureMSELoss(nn.Module):
    """Mean squared error (mean over all elements, optionally masked), times loss_weight."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.last = None

    def forward(self, s_feat, t_feat, mask=None):
        self.last = dict(s_feat=s_feat, t_feat=t_feat, mask=mask)
        diff = (s_feat - t_feat) ** 2
        if mask is not None:
            diff = diff * mask
        return diff.mean() * self.loss_weight


@MODELS.register_module(force=True)
class _TestHeatmapKDLoss(nn.Module):
    """Mean squared error between sigmoid heatmaps of every task; records its inputs."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.last = None

    def forward(self, s_heatmaps, t_heatmaps):
        self.last = dict(s=[t.detach().clone() for t in s_heatmaps],
                         t=[t.detach().clone() for t in t_heatmaps])
        total = sum(((s.sigmoid() - t.sigmoid()) ** 2).mean()
                    for s, t in zip(s_heatmaps, t_heatmaps))
        return total * self.loss_weight


@MODELS.register_module(force=True)
class _TestLossWithParam(nn.Module):
    """A loss owning a learnable 1x1 conv (saved with the distiller, dropped on export)."""

    def __init__(self, channels: int, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.proj = nn.Conv2d(channels, channels, 1)
        self.loss_weight = loss_weight

    def forward(self, s_feat, t_feat):
        return ((self.proj(s_feat) - t_feat) ** 2).mean() * self.loss_weight


@MODELS.register_module(force=True)
class _TestCenterMask(nn.Module):
    """KD target: 1 on the BEV cell holding each GT box centre (rows = y, cell centres)."""

    def __init__(self, point_cloud_range, cell: float) -> None:
        super().__init__()
        self.pcr, self.cell = point_cloud_range, cell

    def forward(self, gt_bboxes_3d, like):
        b, _, h, w = like.shape
        mask = like.new_zeros(b, 1, h, w)
        for i, boxes in enumerate(gt_bboxes_3d):
            c = boxes.gravity_center
            col = ((c[:, 0] - self.pcr[0]) / self.cell).floor().long().clamp(0, w - 1)
            row = ((c[:, 1] - self.pcr[1]) / self.cell).floor().long().clamp(0, h - 1)
            mask[i, 0, row, col] = 1
        return dict(mask=mask, num=mask.sum())


def distiller_cfg(**overrides) -> dict:
    """A full CrossModalDistiller config: BEV (middle encoder), neck and head taps, adapters,
    a GT-centre target and three losses. Random teacher unless ``teacher_ckpt`` is given."""
    cfg = dict(
        type='CrossModalDistiller',
        student=student_cfg(),
        teacher=teacher_cfg(),
        teacher_ckpt=None,
        allow_random_teacher=True,
        student_taps=dict(bev='pts_middle_encoder', neck=dict(module='pts_neck', index=0),
                          heads='pts_bbox_head'),
        teacher_taps=dict(bev='pts_middle_encoder', neck=dict(module='pts_neck', index=0),
                          heads='pts_bbox_head'),
        adapters=dict(bev=dict(type='Conv1x1Adapter', in_channels=16, out_channels=64),
                      neck=dict(type='Conv1x1Adapter', in_channels=48, out_channels=384)),
        kd_targets=dict(centre=dict(type='_TestCenterMask', point_cloud_range=PCR, cell=0.8,
                                    inputs=dict(like='teacher.neck'))),
        distill_losses=dict(
            loss_bev=dict(type='_TestFeatureMSELoss', loss_weight=2.0,
                          inputs=dict(s_feat='student.bev', t_feat='teacher.bev')),
            loss_neck=dict(type='_TestFeatureMSELoss', loss_weight=1.0,
                           inputs=dict(s_feat='student.neck', t_feat='teacher.neck',
                                       mask='target.centre.mask')),
            loss_heatmap=dict(type='_TestHeatmapKDLoss', loss_weight=1.0,
                              inputs=dict(s_heatmaps='student.heads.*.0.heatmap',
                                          t_heatmaps='teacher.heads.*.0.heatmap'))))
    cfg.update(overrides)
    return cfg


def build(cfg: dict):
    use_mmdet3d_scope()
    return MODELS.build(cfg)


@DATASETS.register_module(force=True)
class TinyDistillDataset(torch.utils.data.Dataset):
    """``n`` scenes (seeds 0..n-1) as the dataloader yields them, for Runner tests
    (registered: the Runner dumps its config)."""

    def __init__(self, n: int = 4) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        b = batch((i, ))
        return dict(inputs=dict(points=b['inputs']['points'][0]),
                    data_samples=b['data_samples'][0])
