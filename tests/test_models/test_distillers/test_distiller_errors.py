# Copyright (c) distillbev contributors. All rights reserved.
"""Bad distiller configs fail at build time (or at the first step) with a message naming the fix."""
import pytest
import torch
from distill_tiny_models import batch, build, distiller_cfg, student_cfg, teacher_cfg

from distillbev.engine.checkpoint import atomic_save_checkpoint
from distillbev.models.distillers import DistillerConfigError


def test_teacher_ckpt_required_and_missing_file(tmp_path):
    with pytest.raises(DistillerConfigError, match='teacher_ckpt is required'):
        build(distiller_cfg(allow_random_teacher=False))
    missing = str(tmp_path / 'nope' / 'teacher.pth')
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(teacher_ckpt=missing, allow_random_teacher=False))
    assert missing in str(e.value) and 'does not exist' in str(e.value)


def test_mismatched_teacher_checkpoint(tmp_path):
    student = build(student_cfg())  # a checkpoint of the wrong model (student channels)
    path = str(tmp_path / 'wrong.pth')
    atomic_save_checkpoint(dict(state_dict=student.state_dict()), path)
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(teacher_ckpt=path))
    msg = str(e.value)
    assert 'does not match the teacher' in msg and 'shape' in msg
    assert 'pts_voxel_encoder.pfn_layers.0.linear.weight' in msg
    # a checkpoint missing keys is an error in strict mode (default) ...
    teacher = build(teacher_cfg())
    sd = {k: v for k, v in teacher.state_dict().items() if not k.startswith('pts_bbox_head')}
    atomic_save_checkpoint(dict(state_dict=sd), path)
    with pytest.raises(DistillerConfigError, match='missing key'):
        build(distiller_cfg(teacher_ckpt=path))
    # ... and loads (with a warning) when partial loading is deliberate
    build(distiller_cfg(teacher_ckpt=path, teacher_ckpt_strict=False))
    # a checkpoint that loads no teacher parameter at all is always an error
    atomic_save_checkpoint(dict(state_dict={'foo.weight': torch.zeros(1)}), path)
    with pytest.raises(DistillerConfigError):
        build(distiller_cfg(teacher_ckpt=path, teacher_ckpt_strict=False))


def test_mismatched_bev_grids_at_build_time():
    bigger = [-12.8, -12.8, -5.0, 12.8, 12.8, 3.0]
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(teacher=teacher_cfg(bigger)))
    assert 'grids do not align' in str(e.value) and 'point_cloud_range' in str(e.value)
    t = teacher_cfg()
    t.train_cfg.pts.out_size_factor = 2
    t.pts_bbox_head.bbox_coder.out_size_factor = 2
    with pytest.raises(DistillerConfigError, match='head grids do not align'):
        build(distiller_cfg(teacher=t))


def test_mismatched_tensor_sizes_at_first_step():
    cfg = distiller_cfg(
        adapters=None, kd_targets=None,
        distill_losses=dict(loss_x=dict(type='_TestFeatureMSELoss',
                                        inputs=dict(s_feat='student.neck',
                                                    t_feat='teacher.bev'))))
    model = build(cfg)
    model.train()
    with pytest.raises(DistillerConfigError) as e:
        model(**model.data_preprocessor(batch(), True), mode='loss')
    assert 'teacher BEV 64x64 (teacher.bev) vs student 16x16 (student.neck)' in str(e.value)
    assert 'grids do not align' in str(e.value)


def test_tap_naming_no_module_lists_close_names():
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(student_taps=dict(bev='pts_midle_encoder')))
    msg = str(e.value)
    assert "'pts_midle_encoder' names no module" in msg and 'pts_middle_encoder' in msg


def test_loss_input_that_no_tap_provides():
    losses = dict(loss_bev=dict(type='_TestFeatureMSELoss',
                                inputs=dict(s_feat='student.bevv', t_feat='teacher.bev')))
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(distill_losses=losses))
    msg = str(e.value)
    assert "distill loss 'loss_bev'" in msg and "'s_feat'" in msg and 'student.bevv' in msg
    assert "'bev'" in msg and 'student.neck' in msg  # available names listed
    losses['loss_bev']['inputs'] = dict(s_feat='student.bev', t_feat='target.fg.mask')
    with pytest.raises(DistillerConfigError, match='names no target entry'):
        build(distiller_cfg(distill_losses=losses))
    losses['loss_bev']['inputs'] = dict(s_feat='studnt.bev', t_feat='teacher.bev')
    with pytest.raises(DistillerConfigError, match='unknown namespace'):
        build(distiller_cfg(distill_losses=losses))


def test_missing_or_unknown_loss_arguments_and_bad_names():
    losses = dict(loss_bev=dict(type='_TestFeatureMSELoss', inputs=dict(s_feat='student.bev')))
    with pytest.raises(DistillerConfigError) as e:
        build(distiller_cfg(distill_losses=losses))
    assert "needs ['t_feat']" in str(e.value) and "'loss_bev'" in str(e.value)
    losses['loss_bev']['inputs'] = dict(s_feat='student.bev', t_feat='teacher.bev',
                                        weight='teacher.bev')
    with pytest.raises(DistillerConfigError, match="maps 'weight'"):
        build(distiller_cfg(distill_losses=losses))
    with pytest.raises(DistillerConfigError, match='must contain "loss"'):
        build(distiller_cfg(distill_losses=dict(bev=dict(
            type='_TestFeatureMSELoss', inputs=dict(s_feat='student.bev', t_feat='teacher.bev')))))


def test_inherit_shape_mismatch():
    with pytest.raises(DistillerConfigError, match='inherit_from_teacher'):
        build(distiller_cfg(inherit_from_teacher=['pts_bbox_head.shared_conv']))
