# Copyright (c) distillbev contributors. All rights reserved.
"""KDTermProbeHook: per-term loss values and gradient norms, without side effects."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[2] / 'test_models' / 'test_distillers'))
from distill_tiny_models import batch, build, distiller_cfg  # noqa: E402

from distillbev.engine.hooks import KDTermProbeHook  # noqa: E402


def _grad_norm(loss, params):
    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    return float(torch.sqrt(sum((g ** 2).sum() for g in grads if g is not None)))


def test_probe_matches_autograd_and_leaves_no_trace(tmp_path):
    torch.manual_seed(0)
    model = build(distiller_cfg())
    model.train()
    hook = KDTermProbeHook(modules=['pts_backbone', 'pts_bbox_head'], interval=2)
    data_batch = batch()
    bn = model.student.pts_backbone.blocks[0][1]
    mean_before = bn.running_mean.clone()
    runner = SimpleNamespace(model=model, iter=0, work_dir=str(tmp_path),
                             logger=SimpleNamespace(info=lambda *a: None))
    masks = []
    handle = model.plan.kd_targets['centre'].register_forward_hook(
        lambda m, a, out: masks.append(out['mask']))
    hook.after_train_iter(runner, 0, data_batch)
    handle.remove()
    rec = json.loads((tmp_path / 'kd_probe.jsonl').read_text().splitlines()[0])
    # the share of BEV cells the KD target's mask covers: box centres, a small fraction
    n_cells = masks[0].numel()
    assert rec['mask_coverage']['centre.mask'] == [pytest.approx(
        float((masks[0] > 0).sum()) / n_cells)]
    assert 0 < rec['mask_coverage']['centre.mask'][0] < 0.05
    assert rec['iter'] == 1
    # no side effects: BN statistics restored, no .grad written
    assert torch.equal(bn.running_mean, mean_before)
    assert all(p.grad is None for p in model.parameters())

    # recompute by hand with the same weights and batch
    torch.manual_seed(0)
    data = model.data_preprocessor(data_batch, True)
    losses = model(**data, mode='loss')
    backbone = [p for p in model.student.pts_backbone.parameters()]
    terms = rec['terms']
    assert 'distill.loss_bev' in terms and 'sum_task' in terms and 'sum_distill' in terms
    # the BEV tap (middle encoder) lies before the backbone: that term sends it nothing
    assert terms['distill.loss_bev']['grad_norm']['pts_backbone'] == 0.0
    neck = losses['distill.loss_neck']
    assert terms['distill.loss_neck']['value'] == pytest.approx(float(neck.detach()), rel=1e-4)
    assert terms['distill.loss_neck']['grad_norm']['pts_backbone'] == pytest.approx(
        _grad_norm(neck, backbone), rel=1e-3)
    kd = sum(v for k, v in losses.items() if k.startswith('distill.'))
    task = sum(v.sum() for k, v in losses.items() if 'loss' in k and not k.startswith('distill.'))
    assert terms['sum_distill']['value'] == pytest.approx(float(kd.detach()), rel=1e-4)
    assert terms['sum_task']['grad_norm']['pts_backbone'] == pytest.approx(
        _grad_norm(task, backbone), rel=1e-3)
    params = backbone + list(model.student.pts_bbox_head.parameters())
    g_kd = torch.autograd.grad(kd, params, retain_graph=True, allow_unused=True)
    g_task = torch.autograd.grad(task, params, retain_graph=True, allow_unused=True)
    flat = [torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                       for g, p in zip(gs, params)]) for gs in (g_kd, g_task)]
    assert rec['cos_task_distill'] == pytest.approx(
        float(torch.nn.functional.cosine_similarity(flat[1], flat[0], dim=0)), abs=1e-4)

    # only every `interval` iterations after the first
    runner.iter = 2
    hook.after_train_iter(runner, 0, data_batch)
    assert len((tmp_path / 'kd_probe.jsonl').read_text().splitlines()) == 1
    runner.iter = 3
    hook.after_train_iter(runner, 0, data_batch)
    assert len((tmp_path / 'kd_probe.jsonl').read_text().splitlines()) == 2


def test_probe_bad_module_says_what_exists():
    model = build(distiller_cfg())
    hook = KDTermProbeHook(modules=['img_backbone'])
    with pytest.raises(AttributeError, match='pts_backbone'):
        hook.probe(model, batch())
    with pytest.raises(ValueError, match='module'):
        KDTermProbeHook(modules=[])
