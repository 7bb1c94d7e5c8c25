# Copyright (c) distillbev contributors. All rights reserved.
"""The bad-config sweep (issue 15 item 4): each broken distillation config fails before it can
train, with a message that names the offending key and the fix.

The other cases of the sweep (a teacher checkpoint of another architecture, a point-cloud-range
mismatch, misnamed taps and references, missing loss arguments, ``inherit_from_teacher`` on
modules of different shape) are in ``test_distiller_errors.py``. Cases that need tensors (a tap
that never runs, adapter channels) fail at the first step, before any weight is updated.
"""
import os.path as osp

import pytest
from distill_tiny_models import PCR, batch, build, distiller_cfg, student_cfg
from mmengine.config import Config

from distillbev.engine.hooks import DistillPipelineCheckHook
from distillbev.models.distillers import DistillerConfigError
from distillbev.models.distillers.pipeline_check import check_distill_pipeline


def first_step(model) -> dict:
    model.train()
    return model(**model.data_preprocessor(batch(), True), mode='loss')


@pytest.mark.parametrize('weight', [-0.5, float('nan')])
def test_distill_weight_negative_or_nan(weight):
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(distill_weight=weight))
    assert 'distill_weight=' in str(e.value) and '>= 0' in str(e.value)


def test_loss_given_teacher_tensor_as_student_input():
    losses = dict(loss_bev=dict(type='_TestFeatureMSELoss',
                                inputs=dict(s_feat='teacher.bev', t_feat='student.bev')))
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(distill_losses=losses))
    msg = str(e.value)
    assert "distill loss 'loss_bev'" in msg and "'s_feat'" in msg and "'teacher.bev'" in msg
    assert 'swap' in msg
    # a teacher argument fed from the student (through the adapter or raw) is refused as well
    losses['loss_bev']['inputs'] = dict(s_feat='student.bev', t_feat='student_raw.bev')
    with pytest.raises(DistillerConfigError, match="argument 't_feat' takes the teacher"):
        build(distiller_cfg(distill_losses=losses))


def test_kd_target_on_another_grid():
    other = [-12.8, -12.8, -5.0, 12.8, 12.8, 3.0]  # the student's grid is +-6.4 m
    targets = dict(fg=dict(type='BEVBoxMask', mode='binary', scale='none',
                           grid=dict(point_cloud_range=other, voxel_size=[0.2, 0.2, 8])))
    losses = dict(loss_bev=dict(type='_TestFeatureMSELoss', inputs=dict(
        s_feat='student.bev', t_feat='teacher.bev', mask='target.fg.mask')))
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(kd_targets=targets, distill_losses=losses))
    msg = str(e.value)
    assert "KD target 'fg'" in msg and 'covers another area' in msg and 'Remove grid=' in msg
    # the same area at a finer resolution (a per-level target) is allowed
    targets['fg']['grid']['point_cloud_range'] = PCR
    build(distiller_cfg(kd_targets=targets, distill_losses=losses))


def _reordered_student():
    s = student_cfg()
    s.pts_bbox_head.tasks = list(reversed(s.pts_bbox_head.tasks))
    return s


def test_head_class_order_differs_while_responses_are_distilled():
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(student=_reordered_student()))
    msg = str(e.value)
    assert "student tap 'heads' (pts_bbox_head)" in msg and 'different classes' in msg
    assert "[['car'], ['truck', 'construction_vehicle']" in msg  # the teacher's, and ...
    assert "[['pedestrian', 'traffic_cone']" in msg  # ... the student's reversed tasks
    # features only: the class order does not matter
    feature_only = distiller_cfg(student=_reordered_student(), kd_targets=None,
                                 student_taps=dict(bev='pts_middle_encoder'),
                                 teacher_taps=dict(bev='pts_middle_encoder'),
                                 adapters=dict(bev=dict(type='Conv1x1Adapter', in_channels=16,
                                                        out_channels=64)),
                                 distill_losses=dict(loss_bev=dict(
                                     type='_TestFeatureMSELoss',
                                     inputs=dict(s_feat='student.bev', t_feat='teacher.bev'))))
    build(feature_only)
    # ... unless the head is inherited
    feature_only['inherit_from_teacher'] = ['pts_bbox_head.shared_conv']
    with pytest.raises(DistillerConfigError, match="inherit_from_teacher 'pts_bbox_head"):
        build(feature_only)


def test_tap_on_a_module_that_never_runs_in_loss():
    # the student's own data preprocessor: the distiller's copy runs, the student's never does
    cfg = distiller_cfg(student_taps=dict(bev='pts_middle_encoder', neck=dict(
        module='pts_neck', index=0), heads='pts_bbox_head', pre='data_preprocessor'))
    model = build(cfg)
    with pytest.raises(DistillerConfigError) as e:
        first_step(model)
    msg = str(e.value)
    assert "student tap(s) 'pre' (data_preprocessor) did not run" in msg and 'loss()' in msg


def test_adapter_output_channels_differ_from_the_teacher_tap():
    cfg = distiller_cfg()
    cfg['adapters']['bev'] = dict(type='Conv1x1Adapter', in_channels=16, out_channels=32)
    with pytest.raises(DistillerConfigError) as e:
        first_step(build(cfg))
    msg = str(e.value)
    assert "distill loss 'loss_bev'" in msg and 'student.bev has 32 channels' in msg
    assert "teacher teacher.bev 64" in msg and "out_channels=64 in adapters['bev']" in msg
    # no adapter at all: the fix names one to add
    cfg = distiller_cfg(adapters=None, kd_targets=None, distill_losses=dict(loss_bev=dict(
        type='_TestFeatureMSELoss', inputs=dict(s_feat='student.bev', t_feat='teacher.bev'))))
    with pytest.raises(DistillerConfigError, match="add an adapter named 'bev'.*in_channels=16"):
        first_step(build(cfg))


def test_a_loss_that_compares_across_channels_is_not_refused():
    # AffinityDistillLoss compares N x N affinities: 16 student vs 64 teacher channels is fine
    cfg = distiller_cfg(adapters=None, kd_targets=None, distill_losses=dict(loss_aff=dict(
        type='AffinityDistillLoss', inputs=dict(s_feats='student.bev', t_feats='teacher.bev'))))
    losses = first_step(build(cfg))
    assert losses['distill.loss_aff'] > 0


# ----------------------------------------------------------------------------- the pipeline
BENCH_CMKD = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'cmkd',
                      'cmkd_bevdepth-r18_centerpoint-pillar04_1xb4-15min_synthetic-nus-bench-3d.py')


def bench_cfg() -> Config:
    return Config.fromfile(BENCH_CMKD)


def _pipeline(cfg: Config) -> list:
    return cfg.train_dataloader.dataset.pipeline


def test_shipped_distillation_pipeline_passes_and_the_hook_runs_the_check():
    cfg = bench_cfg()
    check_distill_pipeline(cfg)
    assert any(h['type'] == 'DistillPipelineCheckHook' for h in cfg.custom_hooks)

    class _Runner:
        pass

    runner = _Runner()
    runner.cfg = bench_cfg()
    _pipeline(runner.cfg).insert(3, dict(type='ObjectSample', db_sampler=dict()))
    with pytest.raises(DistillerConfigError, match='ObjectSample'):
        DistillPipelineCheckHook().before_run(runner)


def test_gt_paste_in_a_cross_modal_pipeline():
    cfg = bench_cfg()
    _pipeline(cfg).insert(3, dict(type='ObjectSample', db_sampler=dict()))
    with pytest.raises(DistillerConfigError) as e:
        check_distill_pipeline(cfg)
    assert 'ObjectSample' in str(e.value) and 'no pixels' in str(e.value)
    assert 'Remove ObjectSample' in str(e.value)


@pytest.mark.parametrize('aug', [
    dict(type='GlobalRotScaleTrans', rot_range=[-0.3, 0.3], scale_ratio_range=[0.95, 1.05]),
    dict(type='RandomFlip3D', flip_ratio_bev_horizontal=0.5)])
def test_bev_augmentation_that_records_no_lidar_aug_matrix(aug):
    cfg = bench_cfg()
    pipe = _pipeline(cfg)
    i = next(i for i, t in enumerate(pipe) if t['type'] == 'GlobalBEVAug3D')
    pipe[i] = aug
    with pytest.raises(DistillerConfigError) as e:
        check_distill_pipeline(cfg)
    assert aug['type'] in str(e.value) and 'lidar_aug_matrix' in str(e.value)
    assert 'Use GlobalBEVAug3D' in str(e.value)


def test_lidar_aug_matrix_dropped_by_the_packing_transform():
    cfg = bench_cfg()
    pack = _pipeline(cfg)[-1]
    pack['type'] = 'Pack3DDetInputs'  # the stock defaults have no lidar_aug_matrix
    pack['keys'] = [k for k in pack['keys'] if k != 'gt_depth']
    with pytest.raises(DistillerConfigError) as e:
        check_distill_pipeline(cfg)
    assert 'Pack3DDetInputs does not pack it' in str(e.value)
    pack['meta_keys'] = ['lidar2img', 'lidar_aug_matrix', 'img_aug_matrix', 'cam2lidar']
    check_distill_pipeline(cfg)


def test_depth_image_teacher_without_a_depth_image_in_the_pipeline():
    cfg = bench_cfg()
    cfg.model.teacher_runner = dict(type='TeacherDepthImageRunner')
    with pytest.raises(DistillerConfigError) as e:
        check_distill_pipeline(cfg)
    msg = str(e.value)
    assert "batch input 'depth_imgs'" in msg and 'never packs' in msg and 'depth image' in msg
    # the LiDAR teacher's points must be packed too
    cfg = bench_cfg()
    pack = _pipeline(cfg)[-1]
    pack['keys'] = [k for k in pack['keys'] if k != 'points']
    with pytest.raises(DistillerConfigError, match="batch input 'points'"):
        check_distill_pipeline(cfg)
