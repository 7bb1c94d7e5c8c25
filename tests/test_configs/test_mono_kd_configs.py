# Copyright (c) distillbev contributors. All rights reserved.
"""The monocular KITTI distillation configs (MonoDistill on MonoDLE and on SMOKE, MonoMMKD) and
the depth-image teacher configs: every one builds and runs one training step on a small
hand-made batch (random teacher); the generated-data MonoDistill config, through the stock
KittiDataset and its own pipeline, feeds the teacher the packed depth image and leaves the
teacher bit-identical (parameters and BN statistics, eval mode) after optimizer steps."""
import glob
import os.path as osp

import pytest
import torch
from helpers.mono import MONO_HW, mono_sample
from mmdet3d.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from distillbev.models.distillers.pipeline_check import check_distill_pipeline

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MONO_KD = sorted(glob.glob(osp.join(ROOT, 'configs', 'monodistill', '*.py')) +
                 glob.glob(osp.join(ROOT, 'configs', 'monommkd', '*.py')))
TEACHERS = sorted(glob.glob(osp.join(ROOT, 'configs', 'students', 'monodle-depth_*.py')))
SYNTH_MONODISTILL = osp.join(
    ROOT, 'configs', 'monodistill',
    'monodistill_monodle-dla34_monodle-depth-dla34_1xb4-40e_synthetic-kitti-mono3d.py')


def test_configs_exist():
    names = [osp.basename(p) for p in MONO_KD]
    for method in ('monodistill_monodle', 'monodistill_smoke', 'monommkd_monodle'):
        assert any(n.startswith(method) and n.endswith('_kitti-mono3d.py')
                   and 'synthetic' not in n for n in names), method
    for method in ('monodistill_monodle', 'monommkd_monodle'):
        assert any(n.startswith(method) and 'synthetic' in n for n in names), method
    # the depth-image teachers: real scale, the 40-epoch generated data, and the CPU regime's
    # 300-iteration (session 7), 900-iteration (session 8) and 1800-iteration (the one its
    # distillations load) schedules
    assert sorted(osp.basename(p).split('_')[-2] for p in TEACHERS) == [
        '1xb16-140e', '1xb4-15min', '1xb4-40e', '1xb4-45min', '1xb4-90min'], TEACHERS


def _build(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['distillbev']
    m = cfg.model
    m.update(teacher_ckpt=None, allow_random_teacher=True)
    m.student.init_cfg = None
    m.student.backbone.init_cfg = None  # no download
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(m)
        model.init_weights()
    return cfg, model


def _batch(model, hw=MONO_HW):
    """An image with a car and one without; a depth map with LiDAR depths on the car's rows."""
    samples = [mono_sample(True, hw), mono_sample(False, hw)]
    for s in samples:
        depth = torch.zeros(1, *hw)
        depth[0, hw[0] // 2:, ::3] = torch.linspace(4.0, 40.0, hw[0] - hw[0] // 2)[:, None]
        s.gt_depth = depth
        s.set_metainfo(dict(mono_crop=False, affine_aug=False, trans_mat=[
            [0.25, 0., 0.], [0., 0.25, 0.], [0., 0., 1.]]))
    gen = torch.Generator().manual_seed(1)
    inputs = dict(imgs=torch.randn(2, 3, *hw, generator=gen),
                  depth_imgs=torch.randn(2, 3, *hw, generator=gen))
    return inputs, samples


@pytest.mark.parametrize('path', MONO_KD, ids=osp.basename)
def test_mono_kd_config_trains_one_step(path):
    cfg, model = _build(path)
    check_distill_pipeline(cfg)  # the pipeline packs what the teacher reads
    assert cfg.model.teacher_runner.type == 'TeacherDepthImageRunner'
    model.train()
    inputs, samples = _batch(model)
    losses = model.loss(inputs, samples)
    distill = {k: v for k, v in losses.items() if k.startswith('distill.')}
    assert set(distill) == {f'distill.{n}' for n in cfg.model.distill_losses}
    for key, value in distill.items():
        assert torch.isfinite(value) and value.dim() == 0, key
    assert float(distill['distill.loss_obj_feat'] if 'distill.loss_obj_feat' in distill
                 else sum(distill.values())) > 0
    total, _ = model.parse_losses(losses)
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.student.backbone.parameters())
    for name, adapter in model.adapters.items():
        assert any(p.grad is not None for p in adapter.parameters()), name
    assert not model.teacher.training


@pytest.mark.parametrize('path', TEACHERS, ids=osp.basename)
def test_depth_teacher_config(path):
    cfg = Config.fromfile(path)
    pre = cfg.model.data_preprocessor
    assert (pre.mean, pre.std, pre.bgr_to_rgb) == ([0., 0., 0.], [1., 1., 1.], False)
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline):
        types = [t['type'] for t in pipeline]
        assert types.index('LoadKittiDepthImage') < types.index('MonoAffineAug') < \
            types.index('DepthImageInput')
        assert pipeline[types.index('DepthImageInput')]['out_key'] == 'img'


def test_carobj_candidate_imitates_features_inside_cars_only():
    """``_carobj_``: a frame whose one object is a cyclist gives the object-feature term nothing
    to imitate, where the paper setting imitates inside the cyclist's box; a car counts in both."""
    bench = osp.join(ROOT, 'configs', 'monodistill',
                     'monodistill_monodle-dla34_monodle-depth-dla34{}_1xb4-45min_'
                     'synthetic-kitti-bench-mono3d.py')
    for name, imitated in (('', {1: True, 2: True}), ('_carobj', {1: False, 2: True})):
        _, model = _build(bench.format(name))
        model.train()
        for label, expect in imitated.items():  # 1: Cyclist, 2: Car
            inputs, samples = _batch(model)
            samples[0].gt_instances.labels[:] = label
            samples[0].gt_instances_3d.labels_3d[:] = label
            loss = model.loss(inputs, samples)['distill.loss_obj_feat']
            assert (float(loss) > 0) == expect, (name, label, float(loss))


def test_monommkd_resp_row_imitates_the_teachers_head_at_cars():
    """``monommkd ..._resp_``: the teacher runs its head and the response term compares the
    student's head maps with the teacher's in the window at a car's 2D centre, beside MonoMMKD's
    own two terms. The same frame with the object labelled Cyclist leaves only the heading KL of
    the empty object slots (the official code's, ``mask_padded=False``): less."""
    path = osp.join(ROOT, 'configs', 'monommkd', 'monommkd_monodle-dla34_monodle-depth-dla34_'
                    'resp_1xb4-45min_synthetic-kitti-bench-mono3d.py')
    _, model = _build(path)
    model.train()
    resp = {}
    for label in (2, 1):  # 2: Car, 1: Cyclist
        inputs, samples = _batch(model)
        samples[0].gt_instances.labels[:] = label
        samples[0].gt_instances_3d.labels_3d[:] = label
        losses = model.loss(inputs, samples)
        assert {'distill.loss_depth_mimic', 'distill.loss_dualkl'} <= set(losses)
        assert float(losses['distill.loss_depth_mimic']) > 0
        resp[label] = float(losses['distill.loss_resp'])
    assert resp[2] > resp[1] >= 0, resp


def test_synthetic_monodistill_feeds_the_teacher_and_keeps_it_frozen(synthetic_kitti,
                                                                     synthetic_kitti_infos):
    root, _ = synthetic_kitti
    cfg, model = _build(SYNTH_MONODISTILL)
    # the depth-image teacher of this config, built alone, is the teacher's own config
    teacher_cfg = Config.fromfile(cfg.model.teacher).model
    assert teacher_cfg.data_preprocessor.mean == [0., 0., 0.]
    pipeline = cfg.train_dataloader.dataset.pipeline
    aug = next(t for t in pipeline if t['type'] == 'MonoAffineAug')
    assert tuple(aug['resolution']) == (640, 192)
    aug['resolution'] = (224, 64)  # a cheaper step; the wiring is the config's
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=root))
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        batch = pseudo_collate([dataset[0], dataset[1]])
        assert batch['inputs']['depth_img'][0].shape == (3, 64, 224)
        assert batch['data_samples'][0].gt_depth.shape == (1, 64, 224)
        seen = []
        hook = model.teacher.backbone.register_forward_hook(
            lambda m, args, out: seen.append(args[0].detach().clone()))
        before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
        student_before = model.student.backbone.base_layer[0].weight.detach().clone()
        model.train()
        for _ in range(2):
            log_vars = model.train_step(batch, optim)
        hook.remove()
    assert all(k in log_vars for k in ('distill.loss_obj_feat', 'distill.loss_affinity',
                                       'distill.loss_resp', 'loss_heatmap'))
    # the teacher saw the packed depth images, as they are (no RGB normalisation)
    packed = torch.stack(batch['inputs']['depth_img'])
    assert len(seen) == 2 and torch.equal(seen[0], packed)
    # frozen: eval mode everywhere, bit-identical parameters and BN running statistics
    assert not any(m.training for m in model.teacher.modules())
    after = model.teacher.state_dict()
    assert any('running_mean' in k for k in after)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(student_before, model.student.backbone.base_layer[0].weight)
    assert not any(k.startswith('teacher') for k in model.state_dict())


def test_monodistill_constants():
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'monodistill',
        'monodistill_monodle-dla34_monodle-depth-dla34_1xb12-160e_kitti-mono3d.py'))
    losses = cfg.model.distill_losses
    assert (losses.loss_obj_feat.loss_weight, losses.loss_affinity.loss_weight,
            losses.loss_resp.loss_weight) == (10.0, 1.0, 1.0)
    assert cfg.model.kd_targets.box.strides == (8, 16, 32)
    assert cfg.model.adapters.abf.mid_channels == 512
    assert cfg.train_dataloader.batch_size == 12 and cfg.train_cfg.max_epochs == 160
    assert cfg.optim_wrapper.optimizer.lr == 1.25e-3
    assert cfg.param_scheduler[1].milestones == [90, 120]
    assert cfg.model.teacher_ckpt.endswith(
        'monodle-depth_dla34_dlaneck_1xb16-140e_kitti-mono3d/epoch_140.pth')
    assert cfg.model.student.init_cfg.type == 'Pretrained'
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types.index('LoadKittiDepthImage') < types.index('MonoAffineAug') < \
        types.index('DepthImageInput') < types.index('PackDepthImageInputs')


def test_smoke_pipeline_moves_the_depth_image_with_the_rgb(synthetic_kitti,
                                                           synthetic_kitti_infos):
    root, _ = synthetic_kitti
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'monodistill',
        'monodistill_smoke-dla34_monodle-depth-dla34_4xb8-6x_kitti-mono3d.py'))
    assert cfg.model.student.type == 'SMOKEMono3D'
    assert cfg.model.student.bbox_head.type == 'SMOKEMono3DHead'  # the stock SMOKE
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=root))
        for i in range(2):
            out = dataset[i]
            sample = out['data_samples']
            assert out['inputs']['img'].shape == out['inputs']['depth_img'].shape == \
                (3, 384, 1280)
            meta = sample.metainfo
            torch.testing.assert_close(torch.as_tensor(meta['trans_mat']),
                                       torch.diag(torch.tensor([0.25, 0.25, 1.0])))
            assert meta['affine_aug'] == meta['mono_crop']
            c = sample.gt_instances_3d.centers_2d
            assert ((c[:, 0] > 0) & (c[:, 0] < 1280) & (c[:, 1] > 0) & (c[:, 1] < 384)).all()
            assert len(sample.gt_instances.bboxes) == len(c) == len(sample.gt_instances_3d)
