# Copyright (c) distillbev contributors. All rights reserved.
"""DistillBEV on the temporal students: BEVDepth4D-R50 at nuScenes scale and BEVFormer-tiny (on
the generated data and at nuScenes scale).

The one-step training test of every method config (``test_method_configs.py``) covers these
configs too; here: one prediction after a training step, that the BEVFormer tap reads the current
frame's BEV (the encoder runs for every previous frame of the queue first, without gradient),
that the teacher stays bit-identical through optimizer steps, and that the data wrappers and
pipelines feed the distiller (LiDAR for the teacher, images of every frame for the student;
CBGSDataset over TemporalFrames)."""
import os.path as osp

import numpy as np
import pytest
import torch
from helpers.multiview import multiview_sample, queue_can_bus
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope, init_default_scope

pytest.importorskip('mmcv.ops')

import distillbev  # noqa: E402,F401
from distillbev.models.distillers.pipeline_check import check_distill_pipeline  # noqa: E402
from distillbev.structures import BEVGrid  # noqa: E402
from mmdet3d.registry import DATASETS, MODELS  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DISTILLBEV = osp.join(ROOT, 'configs', 'distillbev')
BEVDEPTH4D_R50 = 'distillbev_bevdepth4d-r50_centerpoint-pillar02_8xb8-cbgs-24e_nus-3d.py'
BEVFORMER_SYN = 'distillbev_bevformer-tiny-r18_centerpoint-pillar04_1xb2-12e_synthetic-nus-3d.py'
BEVFORMER_NUS = 'distillbev_bevformer-tiny-r50_centerpoint-pillar02_8xb1-24e_nus-3d.py'
BENCH = '_1xb4-15min_synthetic-nus-bench-3d.py'
BEVDEPTH4D_BENCH = 'distillbev_bevdepth4d-r18_centerpoint-pillar04' + BENCH
BEVFORMER_BENCH = 'distillbev_bevformer-tiny-centerhead-r18_centerpoint-pillar04' + BENCH
NEW = [BEVDEPTH4D_R50, BEVFORMER_SYN, BEVFORMER_NUS, BEVDEPTH4D_BENCH, BEVFORMER_BENCH]
BEVFORMERS = [BEVFORMER_SYN, BEVFORMER_NUS, BEVFORMER_BENCH]
# the single-frame student's DistillBEV config each temporal one restates the levels of
REFERENCE = {BEVDEPTH4D_R50: 'distillbev_bevdepth-r50_centerpoint-pillar02_8xb8-cbgs-24e_nus-3d.py',
             BEVDEPTH4D_BENCH: 'distillbev_bevdepth-r18_centerpoint-pillar04' + BENCH}


def _cfg(name: str) -> Config:
    return Config.fromfile(osp.join(DISTILLBEV, name))


def _build(name: str):
    model_cfg = _cfg(name).model
    model_cfg.update(teacher_ckpt=None, allow_random_teacher=True)
    for module in ('img_backbone', 'img_neck', 'img_view_transformer'):  # no checkpoints here
        if 'init_cfg' in model_cfg.student.get(module, {}):
            model_cfg.student[module].init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model


def _item(model, seed: int = 0) -> dict:
    """One sample as the dataset gives it (uint8 images of the current and previous frames,
    LiDAR points, metainfo with the previous frames' cameras and the current -> previous maps)."""
    depth = isinstance(model.student, MODELS.get('BEVDepth'))
    inputs, sample = multiview_sample(with_depth=depth, seed=seed, size=(96, 256))
    num_prev = model.student.num_prev
    curr2prev = [np.eye(4, dtype=np.float32) for _ in range(num_prev)]
    for k, m in enumerate(curr2prev):
        m[0, 3] = 1.0 + k  # the ego moved 1 m along x per frame
    can_bus = queue_can_bus(num_prev)  # TemporalFrames' deltas (read by BEVFormer's queries)
    sample.set_metainfo(dict(can_bus=can_bus[0],
                             prev_frames=[dict(sample.metainfo, can_bus=c) for c in can_bus[1:]],
                             curr2prev=curr2prev, prev_is_current=[False] * num_prev))
    gen = torch.Generator().manual_seed(seed)

    def img():
        return torch.randint(0, 256, inputs['imgs'].shape, generator=gen, dtype=torch.uint8)

    return dict(inputs=dict(img=img(), points=inputs['points'],
                            prev_img=[img() for _ in range(num_prev)]),
                data_samples=sample)


def _batch(model, seed: int = 0) -> dict:
    return pseudo_collate([_item(model, seed)])


@pytest.mark.parametrize('name', NEW)
def test_config_states_the_distillation(name):
    cfg = _cfg(name)
    model = cfg.model
    assert model.type == 'CrossModalDistiller'
    assert cfg.custom_imports.imports == ['distillbev']
    check_distill_pipeline(cfg)  # GT-paste, BEV augmentation recorded, teacher input packed
    # the training set: [CBGSDataset ->] TemporalFrames -> NuScenesDataset on temporal infos
    dataset, chain = cfg.train_dataloader.dataset, []
    while 'dataset' in dataset:
        chain.append(dataset.type)
        dataset = dataset.dataset
    chain.append(dataset.type)
    wrappers = ['CBGSDataset'] if 'cbgs' in name else []
    assert chain == wrappers + ['TemporalFrames', 'NuScenesDataset']
    assert dataset.ann_file.endswith('_temporal.pkl') and dataset.modality.use_lidar
    types = [t.type for t in dataset.pipeline]
    assert types[:3] == ['LoadPointsFromFile', 'LoadPointsFromMultiSweeps',
                         'LoadMultiViewImagesWithCalib']
    assert {'img', 'points'} <= set(dataset.pipeline[-1]['keys'])
    assert model.student.data_preprocessor.type == 'TemporalDet3DDataPreprocessor'
    losses = model.distill_losses
    assert all(v.type == 'FGBGAttentionFeatureLoss' for v in losses.values())
    if 'bevformer' in name:  # one level, the BEVFormer scripts' weights, nothing inherited
        (loss, ) = losses.values()
        assert (loss.fg_weight, loss.bg_weight, loss.spatial_weight, loss.fp_weight) == (
            5e-3, 4e-3, 5e-4, 0.0)
        assert model.student_taps.bev == dict(module='bev_encoder', call=model.student.num_prev)
        assert model.grid_check == 'range' and 'inherit_from_teacher' not in model
        assert model.student.pts_bbox_head.type == (
            'CenterHeadWithPrior' if 'centerhead' in name else 'BEVFormerHead')
        # the student's CAN-bus MLP reads 'can_bus': the restated training packer keeps it
        assert model.student.bev_encoder.use_can_bus is True
        assert 'can_bus' in dataset.pipeline[-1]['extra_meta_keys']
        assert 'can_bus' in cfg.val_dataloader.dataset.dataset.pipeline[-1]['extra_meta_keys']
    else:  # the three levels and weights of the single-frame student's config
        single = _cfg(REFERENCE[name])
        for key in ('student_taps', 'teacher_taps', 'adapters', 'kd_targets', 'distill_losses',
                    'inherit_from_teacher'):
            assert model[key] == single.model[key], key
        assert [(v.fg_weight, v.bg_weight, v.fp_weight) for v in losses.values()] == [
            (6e-3, 4e-2, 0.0), (6e-3, 4e-2, 0.0), (6e-3, 4e-2, 6e-2)]
        assert model.student.type == 'BEVDepth4D' and model.student.num_prev == 1
        # two frames of the lift-splat BEV into the BEV encoder
        lss = single.model.student.img_view_transformer.out_channels
        assert model.student.img_bev_encoder_backbone.in_channels == 2 * lss
        # the same teacher, checkpoint and schedule as the single-frame student's row
        for key in ('teacher', 'teacher_ckpt'):
            assert model[key] == single.model[key], key
        for key in ('train_cfg', 'optim_wrapper', 'param_scheduler'):
            assert cfg[key] == single[key], key
        assert cfg.val_dataloader.dataset.type == 'TemporalFrames'


@pytest.mark.parametrize('name', NEW)
def test_config_trains_one_step_and_predicts(name):
    model = _build(name)
    model.train()
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        data = model.data_preprocessor(_batch(model), True)
        assert len(data['inputs']['prev_imgs']) == model.student.num_prev
        losses = model.loss(data['inputs'], data['data_samples'])
        assert {f'distill.{n}' for n in model.distill_losses} <= set(losses)
        total, _ = model.parse_losses(losses)
        assert torch.isfinite(total)
        total.backward()
        for adapter in model.adapters.values():
            assert any(p.grad is not None and p.grad.abs().sum() > 0
                       for p in adapter.parameters())
        model.eval()
        data = model.data_preprocessor(_batch(model), False)
        with torch.no_grad():
            preds = model.predict(data['inputs'], data['data_samples'])
    assert preds[0].pred_instances_3d.bboxes_3d.tensor.shape[1] == 9
    assert len(preds[0].pred_instances_3d.scores_3d) > 0


@pytest.mark.parametrize('name', BEVFORMERS)
def test_bevformer_tap_reads_the_current_frames_bev(name):
    """The encoder runs num_prev times for the queue (oldest first, no gradient, eval mode), then
    for the current frame; the tap (call = num_prev) must read the last call: the very tensor the
    head receives, with gradient. Call 0 would be the oldest frame's BEV, without gradient."""
    model = _build(name)
    student = model.student
    num_prev = student.num_prev
    assert model.student_recorder.taps['bev'].call == num_prev
    calls, head_in = [], []
    student.bev_encoder.register_forward_hook(
        lambda m, a, out: calls.append((out, torch.is_grad_enabled(), m.training)))
    student.pts_bbox_head.register_forward_pre_hook(lambda m, a: head_in.append(a[0]))
    seen = {}
    run = model.plan.run

    def spy(inputs, samples, student_raw, teacher_vals, *args, **kwargs):
        seen.update(student=student_raw, teacher=teacher_vals)
        return run(inputs, samples, student_raw, teacher_vals, *args, **kwargs)

    model.plan.run = spy
    model.train()
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        data = model.data_preprocessor(_batch(model), True)
        losses = model.loss(data['inputs'], data['data_samples'])
    assert len(calls) == num_prev + 1
    assert [(grad, training) for _, grad, training in calls] == (
        [(False, False)] * num_prev + [(True, True)])
    bev = seen['student']['bev']
    assert bev is calls[-1][0]
    assert all(bev is not out for out, _, _ in calls[:-1])
    head_bev = head_in[0][0] if isinstance(head_in[0], (list, tuple)) else head_in[0]
    assert bev is head_bev and bev.requires_grad
    assert bev.shape[-2:] == student.bev_encoder.bev_shape
    # the adapter resamples it onto the teacher's cells (same area: grid_check='range')
    t_neck = seen['teacher']['neck']
    assert not t_neck.requires_grad
    assert model.adapters['bev'](bev).shape == t_neck.shape
    s_grid, t_grid = BEVGrid.from_detector(student), BEVGrid.from_detector(model.teacher)
    assert (s_grid.x_min, s_grid.y_min, s_grid.x_max, s_grid.y_max) == pytest.approx(
        (t_grid.x_min, t_grid.y_min, t_grid.x_max, t_grid.y_max))
    assert t_grid.shape == tuple(t_neck.shape[-2:]) != s_grid.shape
    # the distillation loss's gradient reaches the current frame's BEV queries
    losses['distill.loss_fgd_bev'].backward()
    assert student.bev_encoder.bev_queries.embedding.weight.grad.abs().sum() > 0


def test_teacher_bit_identical_after_optimizer_steps_with_a_bevformer_student():
    model = _build(BEVFORMER_SYN)
    before = {k: v.detach().clone() for k, v in model.teacher.state_dict().items()}
    student_before = {k: v.detach().clone() for k, v in model.student.state_dict().items()}
    assert any('running_mean' in k for k in before)
    optim = build_optim_wrapper(model, dict(type='OptimWrapper',
                                            optimizer=dict(type='AdamW', lr=1e-3)))
    in_optim = {id(p) for g in optim.param_groups for p in g['params']}
    assert not in_optim & {id(p) for p in model.teacher.parameters()}
    assert {id(p) for p in model.adapters.parameters()} <= in_optim
    model.train()
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        for step in range(3):
            log = model.train_step(_batch(model, seed=step), optim)
            assert torch.isfinite(log['distill.loss_fgd_bev'])
    after = model.teacher.state_dict()
    assert set(after) == set(before)
    for k, v in before.items():
        assert torch.equal(v, after[k]), k  # parameters and buffers (BN running statistics)
    assert not any(m.training for m in model.teacher.modules())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    now = model.student.state_dict()
    assert not torch.equal(now['bev_encoder.bev_queries.embedding.weight'],
                           student_before['bev_encoder.bev_queries.embedding.weight'])


def test_bevformer_distillation_runs_on_the_generated_data(synthetic_nus, synthetic_nus_infos):
    """The generated nuScenes layout through the distillation config's TemporalFrames pipeline:
    the current frame packs the LiDAR points (key frame and sweeps, for the teacher) and the six
    images, the previous frame its images; one distillation step on the collated batch."""
    from distillbev.datasets.temporal_infos import add_temporal_infos
    root, _ = synthetic_nus
    add_temporal_infos(root, 'v1.0-trainval', [osp.join(root, 'nuscenes_infos_train.pkl')])
    init_default_scope('mmdet3d')
    cfg = _cfg(BEVFORMER_SYN)
    cfg.train_dataloader.dataset.dataset.data_root = root
    train = DATASETS.build(cfg.train_dataloader.dataset)
    items = [train[1], train[2]]
    for item in items:
        assert item['inputs']['points'].shape[1] == 5 and len(item['inputs']['points']) > 100
        assert item['inputs']['img'].shape[0] == 6
        assert len(item['inputs']['prev_img']) == 1
        assert item['inputs']['prev_img'][0].shape == item['inputs']['img'].shape
    model = _build(BEVFORMER_SYN)
    model.train()
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        data = model.data_preprocessor(pseudo_collate(items), True)
        losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(losses['distill.loss_fgd_bev']) and losses['distill.loss_fgd_bev'] > 0


def test_cbgs_balances_temporal_frames(synthetic_nus, synthetic_nus_infos, tmp_path):
    """BEVDepth4D-R50's training set: CBGSDataset(TemporalFrames(NuScenesDataset)); every item
    of the balanced set still carries its previous frame."""
    import shutil

    from distillbev.datasets.temporal_infos import add_temporal_infos
    root, _ = synthetic_nus
    shutil.copy(osp.join(root, 'nuscenes_infos_train.pkl'), tmp_path / 'train.pkl')
    add_temporal_infos(root, 'v1.0-trainval', [str(tmp_path / 'train.pkl')])
    init_default_scope('mmdet3d')
    student = Config.fromfile(osp.join(
        ROOT, 'configs', 'students', 'bevdepth4d_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py'))
    inner = student.train_dataloader.dataset  # TemporalFrames -> NuScenesDataset
    inner.dataset.update(data_root=root, ann_file=str(tmp_path / 'train_temporal.pkl'))
    cbgs = DATASETS.build(dict(type='CBGSDataset', dataset=inner))
    assert type(cbgs.dataset).__name__ == 'TemporalFrames'
    assert len(cbgs) > 0
    assert cbgs.get_cat_ids(0) == cbgs.dataset.dataset.get_cat_ids(cbgs.sample_indices[0])
    item = cbgs[0]
    assert len(item['inputs']['prev_img']) == 1
    assert 'curr2prev' in item['data_samples'].metainfo
