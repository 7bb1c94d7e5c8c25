# Copyright (c) distillbev contributors. All rights reserved.
"""The student configs load, build, and their BEV grid matches the CenterHead target grid."""
import glob
import os.path as osp

import pytest

pytest.importorskip('mmcv.ops')

from helpers.multiview import multiview_sample  # noqa: E402
from mmengine.config import Config  # noqa: E402

from distillbev.models.view_transforms import grid_from_config  # noqa: E402

CFG_DIR = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'students')
# the lift-splat students (BEVDet, BEVDepth and their 4D forms); BEVFormer and the monocular
# KITTI students have their own config tests (tests/test_configs/)
CONFIGS = sorted(c for c in glob.glob(osp.join(CFG_DIR, '*.py'))
                 if osp.basename(c).startswith(('bevdet', 'bevdepth')))


def test_configs_exist():
    names = {osp.basename(c) for c in CONFIGS}
    assert {'bevdet_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py',
            'bevdepth_r50_fpn_centerhead_8xb8-cbgs-24e_nus-3d.py',
            'bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py',
            'bevdepth_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py'} <= names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_grid_consistency(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports == dict(imports=['distillbev'], allow_failed_imports=False)
    assert cfg.default_scope == 'mmdet3d'
    model = cfg.model
    vt = model.img_view_transformer
    lower, interval, (nx, ny, _) = grid_from_config(vt.grid_config)
    pts_train = model.train_cfg.pts
    factor = pts_train.out_size_factor
    # CenterHead heatmap (Y, X) = grid_size[:2] // out_size_factor == view-transformer BEV
    assert (pts_train.grid_size[1] // factor, pts_train.grid_size[0] // factor) == (ny, nx)
    assert pts_train.voxel_size[0] * factor == pytest.approx(interval[0].item())
    assert pts_train.point_cloud_range[:2] == pytest.approx(lower[:2].tolist())
    assert model.test_cfg.pts.pc_range == pytest.approx(lower[:2].tolist())
    assert model.pts_bbox_head.bbox_coder.pc_range == pytest.approx(lower[:2].tolist())
    c = vt.out_channels
    # temporal students concatenate 1 + num_prev frames; the stages keep the single-frame widths
    frames = 1 + model.get('num_prev', 0)
    assert model.img_bev_encoder_backbone.in_channels == c * frames
    assert model.img_bev_encoder_neck.in_channels == 10 * c
    assert model.pts_bbox_head.in_channels == model.img_bev_encoder_neck.out_channels
    if 'nus-3d' in path and 'synthetic' not in path:
        assert (ny, nx) == (128, 128) and interval[0].item() == pytest.approx(0.8)
        assert cfg.optim_wrapper.optimizer.lr == 2e-4
        assert cfg.optim_wrapper.clip_grad.max_norm == 5
        assert cfg.train_cfg.max_epochs == 24
        assert cfg.train_dataloader.dataset.type == 'CBGSDataset'
        depth = [1.0, 60.0, 1.0] if model.type == 'BEVDet' else [2.0, 58.0, 0.5]
        assert list(vt.grid_config.depth) == depth
        assert c == (64 if model.type == 'BEVDet' else 80)
    if model.type in ('BEVDepth', 'BEVDepth4D'):
        dataset = cfg.train_dataloader.dataset
        while 'pipeline' not in dataset:  # CBGSDataset, TemporalFrames (BEVDepth4D-R50: both)
            dataset = dataset.dataset
        types = [t.type for t in dataset.pipeline]
        assert 'MultiViewDepthFromLiDAR' in types and 'gt_depth' in dataset.pipeline[-1]['keys']


@pytest.mark.parametrize('path', [c for c in CONFIGS if 'synthetic' in c], ids=osp.basename)
def test_small_config_builds_and_trains_one_step(path):
    import torch
    from mmengine.registry import DefaultScope

    from mmdet3d.registry import MODELS
    cfg = Config.fromfile(path)
    for part in ('img_backbone', 'img_neck', 'img_view_transformer'):
        # the benchmark student starts from the depth pre-training's weights: a file made by a
        # training stage (tools/kd_benchmark.py), not part of the checkout
        init = cfg.model[part].get('init_cfg') or {}
        if init.get('type') == 'Pretrained' and not osp.exists(init['checkpoint']):
            cfg.model[part].init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        model.init_weights()
        assert model.img_view_transformer.bev_shape == (64, 64)
        height, width = cfg.final_size
        depth = cfg.model.type in ('BEVDepth', 'BEVDepth4D')
        _, sample = multiview_sample(size=(height, width), with_depth=depth)
        inputs = dict(imgs=torch.randn(1, 6, 3, height, width))
        losses = model.loss(inputs, [sample])
        total, _ = model.parse_losses(losses)
        assert torch.isfinite(total)
        assert ('loss_depth' in losses) == depth
        assert model.extract_feat(inputs, [sample.metainfo])[0].shape == (1, 128, 64, 64)
