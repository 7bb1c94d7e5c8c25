# Copyright (c) distillbev contributors. All rights reserved.
"""The configs of ``tools/kd_benchmark.py --dataset kitti_bev`` (CMKD, KITTI form): the PointPillars
teacher, the mono-BEV student alone and its CMKD distillation on the KITTI CPU regime's generated
data. They build; the student's lifted grid is the teacher's pillar grid; the student alone and
the distilled student share model, initialisation, schedule and data (paired runs); the CMKD
config loads the teacher the benchmark trains, from where the benchmark copies it; one CMKD train
step runs on generated frames, and its exported student loads into the student-alone model."""
import copy
import importlib.util
import os.path as osp

import torch
from mmdet3d.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import distillbev  # noqa: F401
from distillbev.benchmarking.kd_suites import DATASETS as SUITES
from distillbev.models.distillers.pipeline_check import check_distill_pipeline
from distillbev.structures import BEVGrid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUITE = SUITES['kitti_bev']
TEACHER = osp.join(ROOT, SUITE.teacher[0])
STUDENT = osp.join(ROOT, SUITE.methods['baseline'][0])
CMKD = osp.join(ROOT, SUITE.methods['cmkd'][0])
DATA = osp.join(ROOT, 'configs', '_base_', 'datasets', 'synthetic-kitti-bench-3d.py')
MONO3D = osp.join(ROOT, 'configs', '_base_', 'datasets', 'synthetic-kitti-bench-mono3d.py')


def _cfg(path):
    return Config.fromfile(path)


def _student_of(cmkd):
    """The distilled student's config without what distillation sets (its GT-loss weight)."""
    student = copy.deepcopy(cmkd.model.student)
    assert student.pop('det_loss_weight') == 0.0  # the teacher's responses replace the labels
    return student


def test_configs_use_the_monocular_suites_frames_and_the_stock_metric():
    data, mono = _cfg(DATA), _cfg(MONO3D)
    for key in ('world_seeds', 'data_root', 'test_root', 'val_ann', 'test_ann'):
        assert data[f'kitti_bench_{key}'] == mono[f'kitti_bench_{key}'], key
    for path in (TEACHER, STUDENT, CMKD):
        cfg = _cfg(path)
        train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
        test = cfg.test_dataloader.dataset
        assert (train.data_root, train.ann_file) == (mono.kitti_bench_data_root,
                                                     'kitti_infos_train.pkl'), path
        assert (val.data_root, val.ann_file) == (mono.kitti_bench_data_root,
                                                 'kitti_infos_val.pkl'), path
        # the held-out split: the val frames of the other world seed
        assert (test.data_root, test.ann_file) == (mono.kitti_bench_test_root,
                                                   'kitti_infos_val.pkl'), path
        for ds in (train, val, test):
            assert ds.type == 'KittiDataset' and ds.box_type_3d == 'LiDAR'
            assert ds.metainfo.classes == data.kitti_bench_3d_class_names
            assert ds.data_prefix.pts == 'training/velodyne_reduced'
        assert cfg.val_evaluator == dict(type='KittiMetric', ann_file=mono.kitti_bench_val_ann,
                                         metric='bbox', backend_args=None)
        assert cfg.test_evaluator == dict(type='KittiMetric', ann_file=mono.kitti_bench_test_ann,
                                          metric='bbox', backend_args=None)
        assert cfg.class_names == data.kitti_bench_3d_class_names == [
            'Pedestrian', 'Cyclist', 'Car']
        assert cfg.train_cfg.type == 'IterBasedTrainLoop'
        assert cfg.default_hooks.checkpoint.save_last and not cfg.log_processor.by_epoch


def test_teacher_is_the_cpu_pointpillars_on_an_iteration_one_cycle():
    teacher = _cfg(TEACHER)
    reference = _cfg(osp.join(ROOT, 'configs', 'pointpillars', 'pointpillars_hv032_secfpn_1xb4-'
                              'cyclic-40e_synthetic-kitti-3d-3class.py'))
    assert teacher.model == reference.model
    assert teacher.train_dataloader.dataset.pipeline == \
        reference.train_dataloader.dataset.pipeline
    assert teacher.optim_wrapper == reference.optim_wrapper
    iters = teacher.train_cfg.max_iters
    assert iters == 1500 and teacher.train_cfg.val_interval == iters
    lr = teacher.optim_wrapper.optimizer.lr
    up, down = teacher.param_scheduler[0], teacher.param_scheduler[1]
    assert (up.eta_min, up.end, down.begin, down.end) == (lr * 10, 600, 600, iters)
    assert all(s.by_epoch is False for s in teacher.param_scheduler)


def test_student_grid_is_the_teachers_pillar_grid():
    teacher = _cfg(TEACHER)
    layer = teacher.model.data_preprocessor.voxel_layer
    teacher_grid = BEVGrid(layer.point_cloud_range, voxel_size=layer.voxel_size)
    for student in (_cfg(STUDENT).model, _student_of(_cfg(CMKD))):
        grid = BEVGrid.from_grid_config(student.img_view_transformer.grid_config)
        assert grid.same_cells(teacher_grid)
        assert grid.shape == teacher_grid.shape == tuple(
            teacher.model.middle_encoder.output_shape) == (248, 216)
        assert (grid.z_min, grid.z_max) == (layer.point_cloud_range[2],
                                            layer.point_cloud_range[5])
        # the teacher's BEV half, as its config states it
        for key in ('backbone', 'neck', 'bbox_head', 'train_cfg', 'test_cfg'):
            assert student[key] == teacher.model[key], key


def test_baseline_and_cmkd_share_model_initialisation_schedule_and_data():
    student, cmkd = _cfg(STUDENT), _cfg(CMKD)
    assert _student_of(cmkd) == student.model
    assert student.model.type == 'CMKDMonoBEV'
    assert student.model.img_backbone.init_cfg is None  # offline: no ImageNet download
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'val_evaluator',
                'test_evaluator', 'val_dataloader', 'test_dataloader', 'randomness'):
        assert cmkd.get(key) == student.get(key), key
    assert cmkd.default_hooks.checkpoint == student.default_hooks.checkpoint
    s_train, c_train = student.train_dataloader, cmkd.train_dataloader
    assert c_train.batch_size == s_train.batch_size == 4
    strip = ('pipeline', )
    assert {k: v for k, v in c_train.dataset.items() if k not in strip} == \
        {k: v for k, v in s_train.dataset.items() if k not in strip}
    # the distiller's pipeline: the student's, plus the points the teacher sees
    s_types = [t.type for t in s_train.dataset.pipeline]
    c_types = [t.type for t in c_train.dataset.pipeline]
    assert s_types == c_types
    assert c_train.dataset.pipeline[-1]['keys'] == s_train.dataset.pipeline[-1]['keys'][:1] + [
        'points'] + s_train.dataset.pipeline[-1]['keys'][1:]
    # CMKD's stage-1 one-cycle in iterations, its peak the optimiser's lr
    one_cycle = student.param_scheduler[0]
    assert (one_cycle.type, one_cycle.eta_max, one_cycle.end, one_cycle.by_epoch) == (
        'OneCycleLR', student.optim_wrapper.optimizer.lr, student.train_cfg.max_iters, False)
    assert student.train_cfg.max_iters == 1000
    assert [s.end for s in student.param_scheduler[1:]] == [400, 1000]


def test_cmkd_loads_the_benchmark_teacher_where_the_benchmark_copies_it():
    cmkd, teacher = _cfg(CMKD), _cfg(TEACHER)
    assert osp.realpath(cmkd.model.teacher) == osp.realpath(TEACHER)
    name = osp.splitext(osp.basename(TEACHER))[0]
    assert cmkd.model.teacher_ckpt == SUITE.teacher[1] == \
        f'work_dirs/{name}/iter_{teacher.train_cfg.max_iters}.pth'
    base = _cfg(osp.join(ROOT, 'configs', '_base_', 'kd', 'cmkd.py'))
    for key in ('student_taps', 'teacher_taps', 'distill_losses', 'inherit_from_teacher'):
        assert cmkd.model[key] == base[f'cmkd_kitti_{key}'], key


def _export():
    spec = importlib.util.spec_from_file_location(
        'export_student', osp.join(ROOT, 'tools', 'export_student.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cmkd_trains_a_step_and_its_student_loads_into_the_baseline(synthetic_kitti,
                                                                    synthetic_kitti_infos):
    root, _ = synthetic_kitti
    cfg = _cfg(CMKD)
    check_distill_pipeline(cfg)  # what tools/train.py and DistillPipelineCheckHook run
    cfg.model.update(teacher_ckpt=None, allow_random_teacher=True)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        train = copy.deepcopy(cfg.train_dataloader.dataset)
        train.data_root = root
        train_set = DATASETS.build(train)
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        teacher = {k: v.clone() for k, v in model.teacher.state_dict().items()}
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        before = model.student.img_backbone.conv1.weight.detach().clone()
        model.train()
        log_vars = model.train_step(pseudo_collate([train_set[0], train_set[1]]), optim)
        assert {'loss_depth', 'distill.loss_bev', 'distill.loss_head.loss_cls'} <= set(log_vars)
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
        assert not torch.equal(before, model.student.img_backbone.conv1.weight.detach())
        assert all(torch.equal(teacher[k], v) for k, v in model.teacher.state_dict().items())
        # deployed as the student alone: the exported weights load into the baseline's model
        exported = _export().convert(dict(state_dict=model.state_dict()))['state_dict']
        baseline = MODELS.build(_cfg(STUDENT).model)
    baseline.load_state_dict(exported, strict=True)
    assert torch.equal(baseline.img_backbone.conv1.weight,
                       model.student.img_backbone.conv1.weight)
