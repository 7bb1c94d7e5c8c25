# Copyright (c) distillbev contributors. All rights reserved.
"""Every BEVFormer config builds, states the published settings, lines its head grid up with the
encoder's BEV, and runs one training step and one prediction on CPU (the queue included). The
nuScenes-scale configs keep their architecture; only the input images are small, and the base
config's BEV is shrunk from 200x200 to 50x50 (a full-size SCA step is too slow and too large for
a CPU test). DCNv2 in the base ResNet-101 runs on CPU (mmcv kernel) and is kept."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from helpers.multiview import multiview_sample, queue_can_bus
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope, init_default_scope

pytest.importorskip('mmcv.ops')

import distillbev  # noqa: E402,F401
from distillbev.structures.bev_grid import BEVGrid  # noqa: E402
from mmdet3d.registry import DATASETS, MODELS  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'students', 'bevformer*.py')))
NAMES = {osp.basename(c): c for c in CONFIGS}
BENCH = 'bevformer-tiny-centerhead_r18_fpn_1xb4-15min_synthetic-nus-bench-3d.py'
BENCH_SET = 'bevformer-tiny_r18_fpn_bevformerhead_1xb4-15min_synthetic-nus-bench-3d.py'
PUBLISHED = {  # bev (H, W), encoder layers, levels, queue length, backbone depth
    'bevformer-tiny_r50_fpn_bevformerhead_8xb1-24e_nus-3d.py': ((50, 50), 3, 1, 3, 50),
    'bevformer-base_r101-dcn_fpn_bevformerhead_8xb1-24e_nus-3d.py': ((200, 200), 6, 4, 4, 101),
    'bevformer-tiny-centerhead_r50_fpn_8xb1-24e_nus-3d.py': ((50, 50), 3, 1, 3, 50),
    'bevformer-tiny_r18_fpn_bevformerhead_1xb2-12e_synthetic-nus-3d.py': ((32, 32), 2, 1, 2, 18),
    # the synthetic one in the KD benchmark's regime, as published and with CenterHead (its row)
    BENCH_SET: ((32, 32), 2, 1, 2, 18),
    BENCH: ((32, 32), 2, 1, 2, 18),
}
BEVDEPTH_BENCH = 'bevdepth_r18_fpn_centerhead_1xb4-15min_synthetic-nus-bench-3d.py'


def test_the_configs_exist():
    assert set(NAMES) == set(PUBLISHED)


@pytest.mark.parametrize('name', sorted(PUBLISHED))
def test_config_states_the_published_settings(name):
    cfg = Config.fromfile(NAMES[name])
    assert cfg.custom_imports == dict(imports=['distillbev'], allow_failed_imports=False)
    assert cfg.default_scope == 'mmdet3d'
    bev, layers, levels, queue, depth = PUBLISHED[name]
    enc = cfg.model.bev_encoder
    assert tuple(enc.bev_shape) == bev and enc.num_layers == layers
    assert enc.num_feature_levels == levels == cfg.model.img_neck.num_outs
    assert cfg.model.num_prev == queue - 1
    assert cfg.train_dataloader.dataset.type == 'TemporalFrames'
    assert cfg.train_dataloader.dataset.num_prev == queue - 1
    assert cfg.val_dataloader.dataset.type == 'TemporalFrames'
    assert cfg.model.img_backbone.depth == depth
    if 'synthetic' not in name:
        assert enc.embed_dims == 256 and cfg.optim_wrapper.optimizer.lr == 2e-4
        assert cfg.optim_wrapper.clip_grad.max_norm == 35 and cfg.train_cfg.max_epochs == 24
        assert cfg.optim_wrapper.paramwise_cfg.custom_keys.img_backbone.lr_mult == 0.1
    head = cfg.model.pts_bbox_head
    if head.type == 'BEVFormerHead':
        assert head.num_query == (900 if 'synthetic' not in name else 100)
        assert head.loss_cls.loss_weight == 2.0 and head.loss_bbox.loss_weight == 0.25
        assert head.code_weights == [1.0] * 8 + [0.2, 0.2]
        costs = cfg.model.train_cfg.pts.assigner.match_costs
        assert [c.weight for c in costs] == [2.0, 0.25]
    if 'base' in name:
        assert cfg.model.img_backbone.dcn.type == 'DCNv2'
    # the CAN-bus MLP on the queries, as published; both packers keep the vector
    assert enc.use_can_bus is True and enc.get('can_bus_norm', True) is True
    assert enc.get('can_bus_dims', 18) == 18
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert 'can_bus' in _packed_meta_keys(loader.dataset.dataset.pipeline), name


def _packed_meta_keys(pipeline):
    """The meta_keys of a pipeline's packer, built as the dataset builds it."""
    from mmdet3d.registry import TRANSFORMS
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        return TRANSFORMS.build(pipeline[-1]).meta_keys


def _inputs(num_prev, size):
    inputs, sample = multiview_sample(size=size)
    curr2prev = [np.eye(4, dtype=np.float32) for _ in range(num_prev)]
    for k, m in enumerate(curr2prev):
        m[0, 3] = 1.0 + k
    can_bus = queue_can_bus(num_prev)  # TemporalFrames' deltas, current then previous frames
    sample.set_metainfo(dict(can_bus=can_bus[0],
                             prev_frames=[dict(sample.metainfo, can_bus=c) for c in can_bus[1:]],
                             curr2prev=curr2prev, prev_is_current=[False] * num_prev))
    prev = [torch.randn(1, *inputs['imgs'].shape) for _ in range(num_prev)]
    return dict(imgs=inputs['imgs'][None], prev_imgs=prev), sample


@pytest.mark.parametrize('name', [BENCH_SET, BENCH])
def test_bench_config_is_in_the_benchmark_regime(name):
    """The benchmark-regime BEVFormers share the other students' data, classes, held-out split,
    pre-trained encoder and schedule: only the model differs from the paired rows' regime."""
    cfg = Config.fromfile(NAMES[name])
    ref = Config.fromfile(osp.join(ROOT, 'configs', 'students', BEVDEPTH_BENCH))
    for key in ('train_cfg', 'optim_wrapper', 'param_scheduler', 'test_evaluator',
                'val_evaluator', 'metainfo'):
        assert cfg[key] == ref[key], key
    assert 'paramwise_cfg' not in cfg.optim_wrapper  # dropped with BEVFormer's optimizer
    assert cfg.train_dataloader.batch_size == ref.train_dataloader.batch_size == 4
    for split in ('train', 'val', 'test'):
        ours = cfg[f'{split}_dataloader'].dataset.dataset
        theirs = ref[f'{split}_dataloader'].dataset
        assert ours.data_root == theirs.data_root, split
        assert ours.ann_file == theirs.ann_file.replace('.pkl', '_temporal.pkl'), split
    assert cfg.model.img_backbone.init_cfg == ref.model.img_backbone.init_cfg
    assert cfg.model.img_backbone.frozen_stages == ref.model.img_backbone.frozen_stages
    head, ref_head = cfg.model.pts_bbox_head, ref.model.pts_bbox_head
    if name == BENCH_SET:  # one score per benchmark class, in the dataset's label order
        assert head.type == 'BEVFormerHead'
        assert head.num_classes == head.bbox_coder.num_classes == len(cfg.metainfo.classes)
        return
    assert head.tasks == ref_head.tasks and head.type == ref_head.type
    assert cfg.model.test_cfg.pts.min_radius == ref.model.test_cfg.pts.min_radius


@pytest.mark.parametrize('name', sorted(PUBLISHED))
def test_config_trains_one_step_and_predicts(name):
    cfg = Config.fromfile(NAMES[name])
    model_cfg = cfg.model
    model_cfg.img_backbone.init_cfg = None
    if 'base' in name:  # shrink the BEV (and the grid the head states) for a CPU step
        model_cfg.bev_encoder.bev_shape = (50, 50)
        model_cfg.train_cfg.pts.grid_size = [200, 200, 1]
        model_cfg.train_cfg.pts.voxel_size = [0.512, 0.512, 8.0]
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        model.init_weights()
        grid = BEVGrid.from_detector(model)
        assert grid is not None and grid.same_cells(model.bev_encoder.grid)
        batch, sample = _inputs(model.num_prev, (96, 256))
        model.train()
        losses = model.loss(batch, [sample])
        total, _ = model.parse_losses(losses)
        assert torch.isfinite(total)
        total.backward()
        assert model.bev_encoder.bev_queries.embedding.weight.grad.abs().sum() > 0
        model.eval()
        with torch.no_grad():
            preds = model.predict(batch, [sample])
    assert len(preds[0].pred_instances_3d.scores_3d) > 0


def test_synthetic_config_runs_through_temporal_frames(synthetic_nus, synthetic_nus_infos):
    from distillbev.datasets.temporal_infos import add_temporal_infos
    root, _ = synthetic_nus
    add_temporal_infos(root, 'v1.0-trainval', [osp.join(root, 'nuscenes_infos_train.pkl'),
                                               osp.join(root, 'nuscenes_infos_val.pkl')])
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(
        NAMES['bevformer-tiny_r18_fpn_bevformerhead_1xb2-12e_synthetic-nus-3d.py'])
    train_cfg, val_cfg = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    train_cfg.dataset.data_root = val_cfg.dataset.data_root = root
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    train = DATASETS.build(train_cfg)
    items = [train[0], train[1], train[2]]
    # TemporalFrames' CAN-bus deltas (ego-pose source on the generated data): a scene's first
    # frame has none, the next ones the ego's motion since their previous frame
    metas = [item['data_samples'].metainfo for item in items]
    assert all(m['can_bus'].shape == (18, ) for m in metas)
    assert metas[0]['prev_is_current'] == [True]
    np.testing.assert_array_equal(metas[0]['can_bus'][[0, 1, 2, 17]], 0.0)
    assert np.linalg.norm(metas[1]['can_bus'][:2]) > 0.5
    np.testing.assert_array_equal(metas[1]['prev_frames'][0]['can_bus'][[0, 1, 2, 17]], 0.0)
    batch = model.data_preprocessor(pseudo_collate(items[1:]), True)
    assert len(batch['inputs']['prev_imgs']) == 1
    losses = model.loss(batch['inputs'], batch['data_samples'])
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    model.eval()
    val = DATASETS.build(val_cfg)
    assert val[1]['data_samples'].metainfo['can_bus'].shape == (18, )  # test time too
    batch = model.data_preprocessor(pseudo_collate([val[0]]), False)
    with torch.no_grad():
        preds = model.predict(batch['inputs'], batch['data_samples'])
    assert preds[0].pred_instances_3d.bboxes_3d.tensor.shape[1] == 9
