# Copyright (c) distillbev contributors. All rights reserved.
"""tools/export_student.py: distillation checkpoint -> plain student checkpoint."""
import importlib.util
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / 'test_models' / 'test_distillers'))
from distill_tiny_models import batch, build, distiller_cfg, student_cfg  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.runner import load_checkpoint  # noqa: E402

from distillbev.engine.checkpoint import atomic_save_checkpoint  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    'export_student', Path(__file__).parents[2] / 'tools' / 'export_student.py')
export_student = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export_student)


def test_round_trip_into_plain_student(tmp_path, capsys):
    torch.manual_seed(0)
    losses = distiller_cfg()['distill_losses']
    losses['loss_proj'] = dict(type='_TestLossWithParam', channels=64,
                               inputs=dict(s_feat='student.bev', t_feat='teacher.bev'))
    model = build(distiller_cfg(distill_losses=losses))
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01)))
    model.train()
    model.train_step(batch(), optim)  # BN statistics and weights move away from init
    src, dst = str(tmp_path / 'iter_1.pth'), str(tmp_path / 'out' / 'student.pth')
    atomic_save_checkpoint(dict(meta=dict(iter=1, dataset_meta=dict(classes=['car'])),
                                state_dict=model.state_dict(),
                                optimizer=optim.state_dict()), src)
    assert export_student.main([src, dst]) == 0
    assert 'dropped' in capsys.readouterr().out
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(out) == {'meta', 'state_dict'}  # optimizer dropped
    assert out['meta']['iter'] == 1 and out['meta']['dataset_meta']['classes'] == ['car']
    assert out['meta']['export']['dropped_groups'] == ['adapters', 'distill_losses']
    assert not any(k.startswith(('student.', 'adapters', 'distill_losses', 'teacher'))
                   for k in out['state_dict'])

    plain = build(student_cfg())  # the student's own config, no distiller
    load_checkpoint(plain, dst, map_location='cpu', strict=True)
    model.eval()
    plain.eval()
    with torch.no_grad():
        ours = model(**model.data_preprocessor(batch((3,)), False), mode='predict')
        theirs = plain(**plain.data_preprocessor(batch((3,)), False), mode='predict')
    a, b = ours[0].pred_instances_3d, theirs[0].pred_instances_3d
    assert len(a.scores_3d) > 0
    assert torch.equal(a.bboxes_3d.tensor, b.bboxes_3d.tensor)
    assert torch.equal(a.scores_3d, b.scores_3d) and torch.equal(a.labels_3d, b.labels_3d)


def test_errors(tmp_path):
    with pytest.raises(ValueError, match='not a CrossModalDistiller checkpoint'):
        export_student.convert(dict(state_dict={'pts_neck.w': torch.zeros(1)}))
    with pytest.raises(KeyError, match='ema_state_dict'):
        export_student.convert(dict(state_dict={'student.w': torch.zeros(1)}), ema=True)
    ema = export_student.convert(dict(state_dict={}, ema_state_dict={
        'steps': torch.tensor(3), 'module.student.w': torch.ones(1)}), ema=True)
    assert list(ema['state_dict']) == ['w']
    with pytest.raises(FileNotFoundError):
        export_student.export_student(str(tmp_path / 'missing.pth'), str(tmp_path / 'o.pth'))
