# Copyright (c) distillbev contributors. All rights reserved.
"""The non-finite guard: a NaN in a teacher feature stops the step (or skips it) before any weight
changes, and the message names the iteration, the KD term and its inputs' statistics."""
import pytest
import torch
from distill_tiny_models import batch, build, distiller_cfg
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from distillbev.models.distillers.refs import DistillerConfigError


def _model_and_optim(**kw):
    torch.manual_seed(0)
    model = build(distiller_cfg(**kw))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    return model, OptimWrapper(torch.optim.SGD(params, lr=0.1))


def _poison_teacher_neck(model):
    def hook(module, args, out):
        out = [o.clone() for o in out]
        out[0][0, 0, 3, 4] = float('nan')
        return out
    # before the distiller's tap hook: the tapped feature itself carries the NaN
    return model.teacher.pts_neck.register_forward_hook(hook, prepend=True)


def _state(model):
    # the parameters (BN running statistics move with every training forward, as they should)
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def test_nan_teacher_feature_raises_with_term_inputs_and_iteration():
    model, optim = _model_and_optim()
    MessageHub.get_current_instance().update_info('iter', 7)
    before = _state(model)
    _poison_teacher_neck(model)
    with pytest.raises(FloatingPointError) as err:
        model.train_step(batch(), optim)
    msg = str(err.value)
    assert 'iteration 7' in msg and 'distill.loss_neck' in msg
    assert 't_feat: shape (2, 384' in msg and 'non-finite 1' in msg
    assert 'nonfinite="skip"' in msg
    after = _state(model)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_skip_leaves_the_weights_and_the_next_step_trains():
    model, optim = _model_and_optim(nonfinite='skip')
    before = _state(model)
    handle = _poison_teacher_neck(model)
    log_vars = model.train_step(batch(), optim)
    assert log_vars['nonfinite_skipped'] == 1
    after = _state(model)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None or not p.grad.abs().sum() for p in model.parameters())
    handle.remove()
    log_vars = model.train_step(batch(), optim)
    assert 'nonfinite_skipped' not in log_vars
    assert any(not torch.equal(before[k], v) for k, v in model.named_parameters())


def test_bad_mode_is_a_config_error():
    with pytest.raises(DistillerConfigError, match="nonfinite='ignore'"):
        build(distiller_cfg(nonfinite='ignore'))
