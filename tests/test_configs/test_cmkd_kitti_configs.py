# Copyright (c) distillbev contributors. All rights reserved.
"""CMKD's KITTI form: the mono BEV student configs (real scale and generated data) and their
CMKD distillation configs. The student's lifted grid is the teacher's pillar grid cell for cell,
its BEV half is the teacher's config; the real-scale student (DeepLabV3-R50 layer3, stride 8,
SCNet neck) trains a step and predicts LiDAR boxes through the stock KittiDataset (on generated
KITTI frames); the generated-data student's predictions go through the stock KittiMetric; the
distillation configs (generated data; real-scale CMKD stage 1 and stage 2) run a step with a
random teacher that stays bit-identical, also on a scene without boxes; stage 1 trains the image
branch on the BEV + depth losses only, and stage 2 starts from a stage-1 checkpoint's image
branch under the teacher's BEV half."""
import copy
import os.path as osp

import pytest
import torch
from mmdet3d.registry import DATASETS, METRICS, MODELS
from mmdet3d.structures import LiDARInstance3DBoxes
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import distillbev  # noqa: F401
from distillbev.models.distillers.pipeline_check import check_distill_pipeline
from distillbev.models.distillers.teacher import resolve_config_path
from distillbev.structures import BEVGrid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STUDENTS = {
    'real': osp.join(ROOT, 'configs', 'students',
                     'cmkd-mono_r50-d8_scnet_second_secfpn_2xb4-60e_kitti-3d-car.py'),
    'synthetic': osp.join(ROOT, 'configs', 'students',
                          'cmkd-mono_r18_fpn_second_secfpn_1xb4-40e_synthetic-kitti-3d-3class.py')}
TEACHERS = {
    'real': 'mmdet3d::pointpillars/pointpillars_hv_secfpn_8xb6-160e_kitti-3d-car.py',
    'synthetic': osp.join(ROOT, 'configs', 'pointpillars',
                          'pointpillars_hv032_secfpn_1xb4-cyclic-40e_synthetic-kitti-3d-3class.py')}
STAGE1 = osp.join(ROOT, 'configs', 'cmkd',
                  'cmkd-kitti-stage1_cmkd-mono-r50-d8_pointpillars-car_2xb4-60e_kitti-3d-car.py')
# the configs with CMKD's full stage-2 losses
DISTILL = {
    'real': osp.join(
        ROOT, 'configs', 'cmkd',
        'cmkd-kitti-stage2_cmkd-mono-r50-d8_pointpillars-car_2xb4-20e_kitti-3d-car.py'),
    'synthetic': osp.join(
        ROOT, 'configs', 'cmkd',
        'cmkd-kitti_cmkd-mono-r18_pointpillars-hv032_1xb4-40e_synthetic-kitti-3d-3class.py')}


def _dataset_cfg(cfg, split, root):
    ds = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    ds = ds.dataset if ds.type == 'RepeatDataset' else ds
    ds.data_root = root
    return ds


@pytest.mark.parametrize('scale', ['real', 'synthetic'])
def test_student_states_cmkd_settings_and_the_teachers_bev_half(scale):
    cfg = Config.fromfile(STUDENTS[scale])
    teacher = Config.fromfile(resolve_config_path(TEACHERS[scale]))
    assert cfg.custom_imports == dict(imports=['distillbev'], allow_failed_imports=False)
    model = cfg.model
    assert model.type == 'CMKDMonoBEV'
    for key in ('backbone', 'neck', 'bbox_head', 'train_cfg', 'test_cfg'):
        assert model[key] == teacher.model[key], key
    vt = model.img_view_transformer
    assert vt.type == 'LIDDepthViewTransformer' and vt.downsample == 8
    assert vt.loss_depth == dict(alpha=0.25, gamma=2.0, loss_weight=1.0)  # CMKD-pp
    assert model.bev_compressor.out_channels == teacher.model.middle_encoder.in_channels == 64
    nz = round((vt.grid_config['z'][1] - vt.grid_config['z'][0]) / vt.grid_config['z'][2])
    assert model.bev_compressor.in_channels == vt.out_channels * nz
    opt = cfg.optim_wrapper
    assert (opt.optimizer.type, opt.optimizer.lr, opt.clip_grad.max_norm) == ('AdamW', 2e-3, 10)
    one_cycle = cfg.param_scheduler[0]
    assert (one_cycle.type, one_cycle.pct_start, one_cycle.div_factor) == ('OneCycleLR', 0.4, 10)
    if scale == 'real':  # CMKD's code: 120 LID bins over [2, 46.8] m, R50, full image, 60 ep
        assert vt.grid_config['depth'] == dict(mode='LID', min=2.0, max=46.8, num_bins=120)
        assert model.img_backbone.depth == 50 and cfg.final_size == (384, 1248)
        assert cfg.train_cfg.max_epochs == 60 and cfg.train_dataloader.batch_size == 4
        assert cfg.train_dataloader.dataset.times == 1
        # DeepLabV3-R50 layer3 (dilated: stride 8, 1024 ch), its converted torchvision weights,
        # no image neck: the view transformer's 1x1 context conv reduces 1024 -> 64 (CaDDN)
        bb = model.img_backbone
        assert (bb.num_stages, bb.strides, bb.dilations, bb.out_indices) == (
            3, (1, 2, 1), (1, 1, 2), (2, ))
        assert bb.init_cfg == dict(type='Pretrained',
                                   checkpoint='checkpoints/deeplabv3_resnet50_coco_mmdet.pth')
        assert model.img_neck is None and vt.in_channels == 1024 and vt.out_channels == 64
        # CMKD's SCNet "domain adaptation" neck: 4 blocks built, at the teacher's channels
        assert model.bev_neck == dict(type='SCNetBEVNeck', in_channels=64, num_blocks=4,
                                      pooling_r=4)


@pytest.mark.parametrize('scale', ['real', 'synthetic'])
def test_student_grid_is_the_teachers_cell_for_cell(scale):
    cfg = Config.fromfile(STUDENTS[scale])
    teacher = Config.fromfile(resolve_config_path(TEACHERS[scale]))
    student_grid = BEVGrid.from_grid_config(cfg.model.img_view_transformer.grid_config)
    layer = teacher.model.data_preprocessor.voxel_layer
    teacher_grid = BEVGrid(layer.point_cloud_range, voxel_size=layer.voxel_size)
    assert student_grid.same_cells(teacher_grid)
    assert student_grid.shape == teacher_grid.shape == tuple(
        teacher.model.middle_encoder.output_shape)
    cell = {'real': 0.16, 'synthetic': 0.32}[scale]
    assert (student_grid.cell_x, student_grid.cell_y) == (cell, cell)
    assert (student_grid.x_min, student_grid.x_max) == (0.0, 69.12)
    assert (student_grid.y_min, student_grid.y_max) == (-39.68, 39.68)
    # the z slab of the lifted voxels is the pillars' height
    assert (student_grid.z_min, student_grid.z_max) == (layer.point_cloud_range[2],
                                                        layer.point_cloud_range[5])


def _build_student(cfg):
    cfg.model.img_backbone.init_cfg = None  # no ImageNet download in tests
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_real_scale_student_trains_one_step_and_predicts(synthetic_kitti, synthetic_kitti_infos):
    root, _ = synthetic_kitti
    cfg = Config.fromfile(STUDENTS['real'])
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        train_set = DATASETS.build(_dataset_cfg(cfg, 'train', root))
        val_set = DATASETS.build(_dataset_cfg(cfg, 'val', root))
        model = _build_student(cfg)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        batch = pseudo_collate([train_set[0]])
        sample = batch['data_samples'][0]
        assert batch['inputs']['img'][0].shape == (1, 3, 384, 1248)
        assert sample.gt_depth.shape == (1, 384, 1248) and (sample.gt_depth > 0).sum() > 100
        assert len(sample.gt_instances_3d) > 0
        model.train()
        before = model.img_backbone.conv1.weight.detach().clone()
        shapes = {}

        def record(name):
            def hook(module, args, out):  # (the ResNet returns a tuple)
                shapes.setdefault(name, tuple(out[0].shape if isinstance(out, tuple)
                                              else out.shape))
            return hook

        for name in ('img_backbone', 'bev_compressor', 'bev_neck'):
            getattr(model, name).register_forward_hook(record(name))
        log_vars = model.train_step(batch, optim)
        # layer3 at stride 8 (384 x 1248 -> 48 x 156); SCNet keeps the 64 x 496 x 432 map
        assert shapes == {'img_backbone': (1, 1024, 48, 156),
                          'bev_compressor': (1, 64, 496, 432), 'bev_neck': (1, 64, 496, 432)}
        assert {'loss_cls', 'loss_bbox', 'loss_dir', 'loss_depth'} <= set(log_vars)
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
        assert not torch.equal(before, model.img_backbone.conv1.weight.detach())
        model.eval()
        with torch.no_grad():
            out = model.test_step(pseudo_collate([val_set[0]]))
    pred = out[0].pred_instances_3d
    assert isinstance(pred.bboxes_3d, LiDARInstance3DBoxes)
    assert len(pred.scores_3d) == len(pred.labels_3d) == len(pred.bboxes_3d)


def test_synthetic_student_predictions_go_through_kitti_metric(synthetic_kitti,
                                                               synthetic_kitti_infos):
    root, _ = synthetic_kitti
    cfg = Config.fromfile(STUDENTS['synthetic'])
    cfg.model.test_cfg.score_thr = 0.0  # an untrained head: keep its boxes
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        val_set = DATASETS.build(_dataset_cfg(cfg, 'val', root))
        model = _build_student(cfg)
        model.eval()
        metric = METRICS.build(dict(cfg.val_evaluator,
                                    ann_file=osp.join(root, 'kitti_infos_val.pkl')))
        metric.dataset_meta = val_set.metainfo
        for i in range(len(val_set)):
            with torch.no_grad():
                out = model.test_step(pseudo_collate([val_set[i]]))
            assert len(out[0].pred_instances_3d.bboxes_3d) > 0
            metric.process({}, [o.to_dict() for o in out])
        res = metric.compute_metrics(metric.results)
    assert 'pred_instances_3d/KITTI/Car_3D_AP40_moderate_strict' in res


def test_distill_configs_state_cmkd_kitti_once():
    """Both scales resolve to the cmkd_kitti_* block of configs/_base_/kd/cmkd.py."""
    base = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'kd', 'cmkd.py'))
    for path in DISTILL.values():
        model = Config.fromfile(path).model
        assert model.type == 'CrossModalDistiller' and model.student.det_loss_weight == 0.0
        for key in ('student_taps', 'teacher_taps', 'distill_losses', 'inherit_from_teacher'):
            assert model[key] == base[f'cmkd_kitti_{key}'], (path, key)
    assert base.cmkd_kitti_distill_losses.loss_bev.loss_weight == 4.0  # CMKD-pp, KITTI train
    # the distilled student level is the SCNet output (an identity without a bev_neck)
    assert base.cmkd_kitti_student_taps.bev == 'bev_neck'


def test_benchmark_rows_differ_from_the_paper_setting_only_where_named():
    """The kitti_bev benchmark's CMKD rows: the paper setting drops the GT losses; the tuned rows
    keep them (``det_loss_weight`` 1), ``_kdw0.15_`` scales every KD term by 0.15 and
    ``_alongkd_`` drops the box KD's lateral (y) and heading residuals and the direction KD.
    Everything else (taps, inheritance, the other loss terms, data, schedule) is the paper
    setting's."""
    from distillbev.benchmarking.kd_suites import KITTI_BEV_METHODS
    models = {m: Config.fromfile(osp.join(ROOT, c)) for m, (c, _) in KITTI_BEV_METHODS.items()
              if m != 'baseline'}
    expect = dict(cmkd=(0.0, 1.0), cmkd_tuned=(1.0, 1.0), cmkd_tuned_kdw=(1.0, 0.15),
                  cmkd_tuned_along=(1.0, 1.0))
    assert set(models) == set(expect)
    paper = models['cmkd']
    along_head = dict(paper.model.distill_losses.loss_head,
                      code_weights=[1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0], dir_weight=0.0)
    for method, cfg in models.items():
        model = cfg.model
        assert (model.student.det_loss_weight, model.get('distill_weight', 1.0)) == \
            expect[method], method
        for key in ('student_taps', 'teacher_taps', 'inherit_from_teacher', 'teacher',
                    'teacher_ckpt'):
            assert model[key] == paper.model[key], (method, key)
        losses = model.distill_losses
        assert losses.loss_bev == paper.model.distill_losses.loss_bev, method
        assert losses.loss_head == (along_head if method == 'cmkd_tuned_along'
                                    else paper.model.distill_losses.loss_head), method
        for key in ('param_scheduler', 'train_cfg', 'train_dataloader', 'test_dataloader'):
            assert cfg[key] == paper[key], (method, key)


def test_stage_configs_state_cmkds_two_stage_schedule():
    """Stage 1 (*_bev.yaml): BEV + depth losses only, lr 2e-3, 60 epochs; stage 2 (*_V2.yaml):
    every loss, lr 2e-4, 20 epochs, from the stage-1 checkpoint that stage 1 writes."""
    base = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'kd', 'cmkd.py'))
    s1, s2 = Config.fromfile(STAGE1), Config.fromfile(DISTILL['real'])
    assert s1.model.student.train_head is False
    assert s1.model.student_taps == dict(bev='bev_neck')
    assert s1.model.teacher_taps == dict(bev='middle_encoder')
    assert s1.model.distill_losses == dict(loss_bev=base.cmkd_kitti_distill_losses.loss_bev)
    assert s1.model.inherit_from_teacher == base.cmkd_kitti_inherit_from_teacher
    assert s1.find_unused_parameters is True  # DDP: the BEV half is not in the loss
    for cfg, lr, epochs in ((s1, 2e-3, 60), (s2, 2e-4, 20)):
        opt = cfg.optim_wrapper
        assert (opt.optimizer.type, opt.optimizer.lr, opt.clip_grad.max_norm) == ('AdamW', lr, 10)
        one_cycle = cfg.param_scheduler[0]
        assert (one_cycle.type, one_cycle.eta_max, one_cycle.end) == ('OneCycleLR', lr, epochs)
        assert [s.end for s in cfg.param_scheduler[1:]] == [epochs * 0.4, epochs]
        assert cfg.train_cfg.max_epochs == epochs and cfg.train_dataloader.batch_size == 4
    init = s2.model.student.init_cfg
    stage1_name = osp.splitext(osp.basename(STAGE1))[0]
    assert init == dict(type='Pretrained', prefix='student.',
                        checkpoint=f'work_dirs/{stage1_name}/epoch_60.pth')
    assert s2.model.student.img_backbone.init_cfg is None


def _teacher_state(model):
    return {k: v.clone() for k, v in model.teacher.state_dict().items()}


@pytest.mark.parametrize('scale', ['synthetic', 'real'])
def test_distill_config_one_step_random_teacher_unchanged(scale, synthetic_kitti,
                                                          synthetic_kitti_infos):
    root, _ = synthetic_kitti
    cfg = Config.fromfile(DISTILL[scale])
    assert cfg.custom_imports == dict(imports=['distillbev'], allow_failed_imports=False)
    check_distill_pipeline(cfg)  # what tools/train.py and DistillPipelineCheckHook run
    cfg.model.update(teacher_ckpt=None, allow_random_teacher=True)
    cfg.model.student.img_backbone.init_cfg = None
    cfg.model.student.init_cfg = None  # stage 2's stage-1 checkpoint: see the test below
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        train_set = DATASETS.build(_dataset_cfg(cfg, 'train', root))
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        # the BEV half starts from the teacher's
        for name in ('backbone', 'neck', 'bbox_head'):
            s_sd = getattr(model.student, name).state_dict()
            t_sd = getattr(model.teacher, name).state_dict()
            assert all(torch.equal(s_sd[k], t_sd[k]) for k in t_sd), name
        before = _teacher_state(model)
        model.train()
        data = model.data_preprocessor(pseudo_collate([train_set[0]]), training=True)
        inputs, samples = data['inputs'], data['data_samples']
        assert len(inputs['points']) == 1 and len(samples[0].gt_instances_3d) > 0
        losses = model.loss(inputs, samples)
        # CMKD-KITTI: no GT detection loss; BEV MSE, the three response terms, depth
        assert set(losses) == {'loss_depth', 'distill.loss_bev', 'distill.loss_head.loss_cls',
                               'distill.loss_head.loss_loc', 'distill.loss_head.loss_dir'}
        total, _ = model.parse_losses(losses)
        assert torch.isfinite(total)
        total.backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in model.student.img_backbone.parameters())
        if scale == 'real':  # (the empty scene once, at the generated-data scale)
            samples = []
        # a scene without boxes: every term finite
        for s in samples:
            s.gt_instances_3d = InstanceData(
                bboxes_3d=LiDARInstance3DBoxes(torch.zeros(0, 7)),
                labels_3d=torch.zeros(0, dtype=torch.long))
        if samples:
            empty = model.loss(inputs, samples)
            assert all(torch.isfinite(v) for v in empty.values()) and len(empty) == 5
    after = model.teacher.state_dict()
    assert set(after) == set(before)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in model.teacher.parameters())


def _random_teacher_distiller(path, seed, **student):
    cfg = Config.fromfile(path)
    cfg.model.update(teacher_ckpt=None, allow_random_teacher=True)
    cfg.model.student.img_backbone.init_cfg = None
    cfg.model.student.update(student)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
    return cfg, model


def test_stage1_config_trains_the_image_branch_on_the_bev_and_depth_losses(
        synthetic_kitti, synthetic_kitti_infos):
    """CMKD stage 1 at real scale, one step: loss = 4 * MSE(student SCNet output, teacher pillar
    scatter) + depth; the BEV backbone, neck and head neither run nor get gradients."""
    root, _ = synthetic_kitti
    check_distill_pipeline(Config.fromfile(STAGE1))
    cfg, model = _random_teacher_distiller(STAGE1, 0)
    for name in ('backbone', 'neck', 'bbox_head'):  # copied from the teacher (predictions)
        s_sd = getattr(model.student, name).state_dict()
        t_sd = getattr(model.teacher, name).state_dict()
        assert all(torch.equal(s_sd[k], t_sd[k]) for k in t_sd), name
    before = _teacher_state(model)
    seen = {}
    model.student.bev_neck.register_forward_hook(lambda m, a, o: seen.update(student=o))
    # (before the teacher tap's hook, which ends the teacher's forward once it fired)
    model.teacher.middle_encoder.register_forward_hook(lambda m, a, o: seen.update(teacher=o),
                                                       prepend=True)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        train_set = DATASETS.build(_dataset_cfg(cfg, 'train', root))
        model.train()
        data = model.data_preprocessor(pseudo_collate([train_set[0]]), training=True)
        losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_depth', 'distill.loss_bev'}
    expect = 4.0 * (seen['student'] - seen['teacher']).square().mean()
    assert torch.allclose(losses['distill.loss_bev'], expect, rtol=1e-5)
    total, _ = model.parse_losses(losses)
    total.backward()
    for name in ('img_backbone', 'img_view_transformer', 'bev_compressor', 'bev_neck'):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in getattr(model.student, name).parameters()), name
    for name in ('backbone', 'neck', 'bbox_head'):
        assert all(p.grad is None for p in getattr(model.student, name).parameters()), name
    after = model.teacher.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_stage2_starts_from_the_stage1_image_branch_under_the_teachers_bev_half(tmp_path):
    """A stage-1 checkpoint (as the Runner writes it: student.* keys) loads through stage 2's
    student init_cfg; the teacher's BEV backbone, neck and head are then copied over it."""
    _, stage1 = _random_teacher_distiller(STAGE1, 0)
    with torch.no_grad():  # stage-1 training moved every student tensor
        for p in stage1.student.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    ckpt = str(tmp_path / 'epoch_60.pth')
    torch.save(dict(meta=dict(epoch=60), state_dict=stage1.state_dict()), ckpt)
    _, stage2 = _random_teacher_distiller(
        DISTILL['real'], 1, init_cfg=dict(type='Pretrained', checkpoint=ckpt,
                                          prefix='student.'))
    for name in ('img_backbone', 'img_view_transformer', 'bev_compressor', 'bev_neck'):
        s1 = getattr(stage1.student, name).state_dict()
        s2 = getattr(stage2.student, name).state_dict()
        assert s1.keys() == s2.keys() and all(torch.equal(s1[k], s2[k]) for k in s1), name
    for name in ('backbone', 'neck', 'bbox_head'):
        s1 = getattr(stage1.student, name).state_dict()
        s2 = getattr(stage2.student, name).state_dict()
        t2 = getattr(stage2.teacher, name).state_dict()
        assert all(torch.equal(s2[k], t2[k]) for k in t2), name
        assert not all(torch.equal(s2[k], s1[k]) for k in s1), name
