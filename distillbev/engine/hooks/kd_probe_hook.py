# Copyright (c) distillbev contributors. All rights reserved.
"""Per-term loss and gradient-norm probe: which loss actually moves the student's layers."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn


def _coverage(value) -> Optional[List[float]]:
    """Fraction of cells > 0 of a mask tensor (one entry) or of each tensor of a list."""
    if isinstance(value, torch.Tensor):
        return [float((value > 0).float().mean())]
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, torch.Tensor) for v in value):
        return [float((v > 0).float().mean()) for v in value]
    return None


def _flat_norm(grads: Sequence[Optional[torch.Tensor]]) -> float:
    sq = [g.detach().pow(2).sum() for g in grads if g is not None]
    return float(torch.stack(sq).sum().sqrt()) if sq else 0.0


@HOOKS.register_module()
class KDTermProbeHook(Hook):
    """Log each loss term's value and the gradient norm it sends into chosen student modules.

    Every ``interval`` training iterations (and after the first) the hook runs the model once
    more on the iteration's batch, in training mode, and for every loss term (the keys containing
    ``loss``; student terms and ``distill.*`` terms alike) computes ``torch.autograd.grad`` with
    respect to the parameters of each probed module. It also gives the gradient norm of the sum
    of the student's own terms (``sum_task``) and of the distillation terms (``sum_distill``), and
    the cosine between those two gradients over all probed parameters (negative: KD pulls against
    the detection loss). Loss values are the weighted values the optimiser sees.

    For a distiller it also reports, for every KD target output whose key contains ``mask``,
    the fraction of BEV cells it covers (``> 0``), per level when the target gives a list.

    The extra forward leaves no trace: BatchNorm running statistics are restored afterwards and
    no gradient reaches ``.grad``. One JSON object per probe is appended to
    ``<work_dir>/<out_file>``.

    Args:
        modules (Sequence[str]): names of student sub-modules (attributes of the student, or of
            the model itself when it is not a distiller), e.g. ``('img_view_transformer',
            'img_bev_encoder_backbone')``.
        interval (int): probe period in iterations. Defaults to 50.
        out_file (str): file name in the work dir. Defaults to ``'kd_probe.jsonl'``.
        distill_prefix (str): prefix of the distillation terms. Defaults to ``'distill.'``.
    """

    priority = 'LOW'

    def __init__(self, modules: Sequence[str], interval: int = 50,
                 out_file: str = 'kd_probe.jsonl', distill_prefix: str = 'distill.') -> None:
        if not modules:
            raise ValueError('KDTermProbeHook needs at least one student module name in '
                             '`modules`, e.g. modules=["img_view_transformer"]')
        if interval < 1:
            raise ValueError(f'KDTermProbeHook: interval must be >= 1, got {interval}')
        self.modules, self.interval = list(modules), interval
        self.out_file, self.distill_prefix = out_file, distill_prefix

    def _groups(self, model: nn.Module) -> Dict[str, List[nn.Parameter]]:
        student = getattr(model, 'student', model)
        groups = {}
        for name in self.modules:
            module = student
            for part in name.split('.'):
                if not hasattr(module, part):
                    raise AttributeError(
                        f'KDTermProbeHook: the student ({type(student).__name__}) has no module '
                        f'"{name}"; choose among {[n for n, _ in student.named_children()]}')
                module = getattr(module, part)
            groups[name] = [p for p in module.parameters() if p.requires_grad]
        return groups

    def probe(self, model: nn.Module, data_batch: dict) -> dict:
        """Run the probe on one batch and return the record (see the class docstring)."""
        groups = self._groups(model)
        buffers = {k: b.detach().clone() for k, b in model.named_buffers()}
        coverage, handles = {}, []
        plan = getattr(model, 'plan', None)
        for name, target in (plan.kd_targets.items() if plan is not None else []):
            def record_cov(module, args, output, name=name):
                for key, value in (output.items() if isinstance(output, dict) else []):
                    cov = _coverage(value) if 'mask' in key else None
                    if cov is not None:
                        coverage[f'{name}.{key}'] = cov
            handles.append(target.register_forward_hook(record_cov))
        try:
            data = model.data_preprocessor(data_batch, True)
            with torch.enable_grad():
                losses = model(**data, mode='loss')
            terms = {}
            for key, value in losses.items():
                if 'loss' in key:
                    terms[key] = sum(v.sum() for v in value) if isinstance(value, list) \
                        else value.sum()
            task = [v for k, v in terms.items() if not k.startswith(self.distill_prefix)]
            kd = [v for k, v in terms.items() if k.startswith(self.distill_prefix)]
            named = dict(terms)
            if task:
                named['sum_task'] = sum(task)
            if kd:
                named['sum_distill'] = sum(kd)
            params = [p for ps in groups.values() for p in ps]
            record, flat = {}, {}
            for key, loss in named.items():
                if not loss.requires_grad:
                    record[key] = dict(value=float(loss), grad_norm={g: 0.0 for g in groups})
                    continue
                grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
                norms, i = {}, 0
                for name, ps in groups.items():
                    norms[name] = _flat_norm(grads[i:i + len(ps)])
                    i += len(ps)
                record[key] = dict(value=float(loss.detach()), grad_norm=norms)
                if key in ('sum_task', 'sum_distill'):
                    flat[key] = torch.cat([
                        (g if g is not None else torch.zeros_like(p)).reshape(-1)
                        for g, p in zip(grads, params)])
            out = dict(terms=record)
            if coverage:
                out['mask_coverage'] = coverage
            if len(flat) == 2:
                out['cos_task_distill'] = float(torch.nn.functional.cosine_similarity(
                    flat['sum_task'], flat['sum_distill'], dim=0))
            return out
        finally:
            for handle in handles:
                handle.remove()
            with torch.no_grad():
                for k, b in model.named_buffers():
                    b.copy_(buffers[k])

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not (runner.iter == 0 or self.every_n_train_iters(runner, self.interval)):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        record = dict(iter=runner.iter + 1, **self.probe(model, data_batch))
        with open(osp.join(runner.work_dir, self.out_file), 'a') as f:
            f.write(json.dumps(record) + '\n')
        kd = record['terms'].get('sum_distill')
        task = record['terms'].get('sum_task')
        runner.logger.info(
            'KDTermProbeHook iter %d: task loss %.3f (grad %s), distill loss %s (grad %s), '
            'cos %s', record['iter'], task['value'] if task else float('nan'),
            {k: round(v, 3) for k, v in task['grad_norm'].items()} if task else None,
            f"{kd['value']:.3f}" if kd else None,
            {k: round(v, 3) for k, v in kd['grad_norm'].items()} if kd else None,
            record.get('cos_task_distill'))
