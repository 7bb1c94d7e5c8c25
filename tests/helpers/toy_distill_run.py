# Copyright (c) distillbev contributors. All rights reserved.
"""A tiny distillation run with the stock Runner, for the reliability tests (a subprocess, so it
can be SIGKILLed).

The tiny CenterPoint-pillar teacher/student of ``distill_tiny_models`` on 4 scenes whose points
get a random jitter and a random flip on every load (NumPy's global generator, as a pipeline's
augmentations with ``num_workers=0``), shuffled, epoch-based, a checkpoint every epoch. Every
iteration appends ``{"iter", "loss"}`` to ``<work>/losses.jsonl`` (flushed and fsynced).

    python tests/helpers/toy_distill_run.py WORK --epochs 3 [--resume] [--kill-at-iter N]
        [--kill-in-save-at-epoch E] [--no-rng-hook]

DDP (``--launcher pytorch`` under ``torchrun``; gloo): ``--ddp-check`` makes the run comparable
with a single process holding the same global batch (no augmentation, samples in order, the
student's BatchNorm frozen, SGD, count-normalised KD losses: QFL heatmap KD and a masked
feature mimic with ``normalize='mask_sum'``) and writes ``<work>/report_rank<R>.json``: the
model wrapper, whether a teacher parameter is inside DDP, a hash of the teacher's state after
training, and the checkpoints this rank wrote.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import signal
import sys

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.join(HERE, '..', 'test_models', 'test_distillers'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from distill_tiny_models import batch, distiller_cfg  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.registry import DATASETS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from mmdet3d.structures import LiDARInstance3DBoxes  # noqa: E402


@DATASETS.register_module(force=True)
class _JitterToyDataset(torch.utils.data.Dataset):
    """Four scenes; each load jitters the points and flips them in y with probability 0.5."""

    def __init__(self, augment: bool = True) -> None:
        self.augment = augment

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> dict:
        b = batch((i, ))
        pts = b['inputs']['points'][0].clone()
        if not self.augment:  # (--ddp-check) a box for each of the six CenterHead tasks
            boxes = b['data_samples'][0].gt_instances_3d.bboxes_3d.tensor
            mirrored = boxes.clone()
            mirrored[:, 0] = -mirrored[:, 0]
            gt = InstanceData()
            gt.bboxes_3d = LiDARInstance3DBoxes(torch.cat([boxes, mirrored]), box_dim=9)
            gt.labels_3d = torch.tensor([0, 1, 3, 5, 7, 8])
            b['data_samples'][0].gt_instances_3d = gt
            return dict(inputs=dict(points=pts), data_samples=b['data_samples'][0])
        pts[:, :3] += torch.from_numpy(np.random.normal(0, 0.05, (len(pts), 3)).astype('f4'))
        if np.random.rand() < 0.5:
            pts[:, 1] = -pts[:, 1]
            b['data_samples'][0].gt_instances_3d.bboxes_3d.flip('horizontal')
        return dict(inputs=dict(points=pts), data_samples=b['data_samples'][0])


class _LossLog(Hook):
    priority = 'VERY_LOW'

    def __init__(self, path: str, kill_at_iter: int) -> None:
        self.path, self.kill_at_iter = path, kill_at_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        with open(self.path, 'a') as f:
            f.write(json.dumps(dict(iter=runner.iter + 1, loss=outputs['loss'].item())) + '\n')
            f.flush()
            os.fsync(f.fileno())
        if runner.iter + 1 == self.kill_at_iter:
            os.kill(os.getpid(), signal.SIGKILL)


class _FreezeStudentBN(Hook):
    """Student BatchNorm in eval mode: per-sample losses, so DDP equals one big batch."""

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        for m in model.student.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()


def state_hash(module: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for k, v in sorted(module.state_dict().items()):
        digest.update(k.encode())
        digest.update(v.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def ddp_check_losses() -> dict:
    """Count-normalised KD losses (their normalisers are synchronised over ranks)."""
    return dict(
        loss_bev=dict(type='MaskedFeatureMimicLoss', normalize='mask_sum', loss_weight=1.0,
                      inputs=dict(s_feat='student.neck', t_feat='teacher.neck',
                                  mask='target.centre.mask')),
        loss_heatmap=dict(type='HeatmapResponseLoss', mode='qfl', pos_thr=0.1,
                          inputs=dict(s_preds='student.heads', t_preds='teacher.heads')))


def kill_while_saving(epoch: int) -> None:
    """SIGKILL this process half-way through writing the checkpoint of ``epoch``."""
    real_save = torch.save

    def save(obj, f, *args, **kwargs):
        if isinstance(obj, dict) and obj.get('meta', {}).get('epoch') == epoch:
            f.write(b'\x80\x02half a checkpoint')
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real_save(obj, f, *args, **kwargs)

    torch.save = save


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('work')
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--kill-at-iter', type=int, default=-1)
    p.add_argument('--kill-in-save-at-epoch', type=int, default=-1)
    p.add_argument('--no-rng-hook', action='store_true')
    p.add_argument('--launcher', default='none')
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--ddp-check', action='store_true')
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.kill_in_save_at_epoch > 0:
        kill_while_saving(args.kill_in_save_at_epoch)
    hooks = [] if args.no_rng_hook else [dict(type='RNGStateCheckpointHook')]
    model = distiller_cfg()
    optimizer = dict(type='AdamW', lr=1e-3)
    if args.ddp_check:
        model['distill_losses'] = ddp_check_losses()
        optimizer = dict(type='SGD', lr=1e-2, momentum=0.9)
    saves = []
    if args.launcher != 'none':  # record the checkpoints this rank writes
        from mmengine.runner import runner as mm_runner
        real = mm_runner.save_checkpoint

        def recording_save(checkpoint, filename, *a, **kw):
            saves.append(osp.basename(filename))
            return real(checkpoint, filename, *a, **kw)

        mm_runner.save_checkpoint = recording_save
    runner = Runner(
        model=model,
        work_dir=args.work,
        train_dataloader=dict(dataset=dict(type='_JitterToyDataset',
                                           augment=not args.ddp_check),
                              batch_size=args.batch_size, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=not args.ddp_check),
                              collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=args.epochs),
        optim_wrapper=dict(optimizer=optimizer),
        launcher=args.launcher,
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=hooks,
        randomness=dict(seed=0, deterministic=False),
        default_scope='mmdet3d', resume=args.resume, load_from=None,
        env_cfg=dict(dist_cfg=dict(backend='gloo')), log_level='WARNING')
    rank = int(os.environ.get('RANK', 0))
    log_name = f'losses_rank{rank}.jsonl' if rank else 'losses.jsonl'
    runner.register_hook(_LossLog(osp.join(args.work, log_name), args.kill_at_iter))
    if args.ddp_check:
        runner.register_hook(_FreezeStudentBN())
    runner.train()
    if args.ddp_check:
        wrapper = runner.model
        inner = wrapper.module if hasattr(wrapper, 'module') else wrapper
        teacher_ids = {id(p) for p in inner.teacher.parameters()}
        report = dict(wrapper=type(wrapper).__name__,
                      teacher_in_ddp=any(id(p) in teacher_ids for p in wrapper.parameters()),
                      teacher_wrapped=type(inner.teacher).__name__.endswith('DataParallel'),
                      teacher_hash=state_hash(inner.teacher), saves=saves)
        with open(osp.join(args.work, f'report_rank{rank}.json'), 'w') as f:
            json.dump(report, f)


if __name__ == '__main__':
    main()
