# Copyright (c) distillbev contributors. All rights reserved.
"""CrossModalDistiller with a stock CenterPoint-pillar teacher and a slim CenterPoint student."""
import copy
import os.path as osp

import pytest
import torch
from distill_tiny_models import batch, build, distiller_cfg, teacher_cfg
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner, load_checkpoint

from distillbev.engine.checkpoint import atomic_save_checkpoint
from distillbev.models.distillers import CrossModalDistiller
from mmdet3d.models.utils import clip_sigmoid


def _teacher_state(model):
    return {k: v.detach().clone() for k, v in model.teacher.state_dict().items()}


def _count_calls(module):
    calls = []
    module.register_forward_hook(lambda *a: calls.append(1))
    return calls


def test_loss_keys_values_and_gradients():
    torch.manual_seed(0)
    model = build(distiller_cfg())
    assert isinstance(model, CrossModalDistiller)
    model.train()
    data = model.data_preprocessor(batch(), training=True)
    # the student's preprocessor voxelizes with its own layer (10 points per pillar)
    assert data['inputs']['voxels']['voxels'].shape[1] == 10
    losses = model(**data, mode='loss')
    assert {'task0.loss_heatmap', 'distill.loss_bev', 'distill.loss_neck',
            'distill.loss_heatmap'} <= set(losses)
    bev_loss = model.distill_losses['loss_bev']
    s, t = bev_loss.last['s_feat'], bev_loss.last['t_feat']
    assert s.shape == t.shape == (2, 64, 64, 64)  # adapted 16 -> 64 ch, 64x64 canvas
    # value = 2 * mean squared difference of the (adapted student, teacher) BEV maps
    assert torch.allclose(losses['distill.loss_bev'], 2.0 * ((s - t) ** 2).mean())
    # teacher BEV really came from the teacher's voxelization (20 points per pillar)
    assert not t.requires_grad
    mask = model.distill_losses['loss_neck'].last['mask']
    assert mask.shape == (2, 1, 16, 16) and mask.sum() == 6  # 3 box centres per sample
    total, _ = model.parse_losses(losses)
    total.backward()
    assert model.adapters['bev'].conv.weight.grad.abs().sum() > 0
    assert model.student.pts_voxel_encoder.pfn_layers[0].linear.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())


def test_teacher_bit_identical_after_optimizer_steps_and_not_in_optimizer():
    torch.manual_seed(0)
    model = build(distiller_cfg())
    before = _teacher_state(model)
    student_before = copy.deepcopy(model.student.state_dict())
    optim = build_optim_wrapper(model, dict(type='OptimWrapper',
                                            optimizer=dict(type='SGD', lr=0.05, momentum=0.9)))
    in_optim = {id(p) for g in optim.param_groups for p in g['params']}
    assert not in_optim & {id(p) for p in model.teacher.parameters()}
    assert {id(p) for p in model.adapters.parameters()} <= in_optim
    model.train()
    for _ in range(3):
        model.train_step(batch(), optim)
    after = model.teacher.state_dict()
    assert any('running_mean' in k for k in before)
    for k, v in before.items():
        assert torch.equal(v, after[k]), k  # parameters AND BN buffers (running stats)
    assert not any(m.training for m in model.teacher.modules())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    # the student did train (weights and its own BN statistics moved)
    now = model.student.state_dict()
    assert not torch.equal(now['pts_backbone.blocks.0.1.running_mean'],
                           student_before['pts_backbone.blocks.0.1.running_mean'])
    assert not torch.equal(now['pts_neck.deblocks.0.0.weight'],
                           student_before['pts_neck.deblocks.0.0.weight'])


def test_teacher_out_of_state_dict_round_trip_and_device_dtype_moves():
    model = build(distiller_cfg())
    sd = model.state_dict()
    assert not any(k.startswith('teacher') for k in sd)
    assert {k.split('.')[0] for k in sd} == {'student', 'adapters'}
    assert not any(n.startswith('teacher') for n, _ in model.named_parameters())
    other = build(distiller_cfg())
    other.load_state_dict(sd, strict=True)
    for k, v in other.state_dict().items():
        assert torch.equal(v, sd[k])
    model.double()
    assert next(model.teacher.parameters()).dtype == torch.float64
    model.float()
    assert next(model.teacher.parameters()).dtype == torch.float32
    # deepcopy (e.g. an EMA model) shares the frozen teacher instead of duplicating it
    assert copy.deepcopy(model).teacher is model.teacher


def test_head_tap_gets_logits_after_student_loss_sigmoided_in_place():
    torch.manual_seed(0)
    model = build(distiller_cfg())
    model.train()
    seen = {}

    def grab(module, args, out):
        seen['ref'], seen['logits'] = out, out.detach().clone()

    model.student.pts_bbox_head.task_heads[0].heatmap.register_forward_hook(grab)
    model.teacher.pts_bbox_head.task_heads[0].heatmap.register_forward_hook(
        lambda m, a, out: seen.update(teacher=out.clone()))
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    # CenterHead.loss_by_feat applied clip_sigmoid (sigmoid_ in place) to the head's tensor ...
    assert torch.allclose(seen['ref'].detach(), clip_sigmoid(seen['logits'].clone()))
    assert seen['logits'].min() < 0  # logits are not probabilities
    # ... yet the distillation loss received the logits
    got = model.distill_losses['loss_heatmap'].last
    assert len(got['s']) == len(got['t']) == 6
    assert torch.equal(got['s'][0], seen['logits'])
    assert torch.equal(got['t'][0], seen['teacher'])
    losses['distill.loss_heatmap'].backward()
    assert model.student.pts_bbox_head.task_heads[0].heatmap[1].weight.grad.abs().sum() > 0


def test_predict_is_the_students_and_teacher_does_not_run():
    torch.manual_seed(0)
    model = build(distiller_cfg())
    model.eval()
    calls = _count_calls(model.teacher.pts_voxel_encoder)
    with torch.no_grad():
        data = model.data_preprocessor(batch(), training=False)
        ours = model(**data, mode='predict')
        data = model.data_preprocessor(batch(), training=False)
        ref = model.student(**data, mode='predict')
    assert not calls
    for a, b in zip(ours, ref):
        assert torch.equal(a.pred_instances_3d.bboxes_3d.tensor,
                           b.pred_instances_3d.bboxes_3d.tensor)
        assert torch.equal(a.pred_instances_3d.scores_3d, b.pred_instances_3d.scores_3d)


def test_teacher_runs_only_as_far_as_its_taps():
    model = build(distiller_cfg(
        teacher_taps=dict(bev='pts_middle_encoder'), adapters=dict(
            bev=dict(type='Conv1x1Adapter', in_channels=16, out_channels=64)),
        kd_targets=None, distill_losses=dict(loss_bev=dict(
            type='_TestFeatureMSELoss', inputs=dict(s_feat='student.bev', t_feat='teacher.bev')))))
    assert model.teacher_forward == 'extract_feat'
    backbone, head = _count_calls(model.teacher.pts_backbone), _count_calls(
        model.teacher.pts_bbox_head)
    model.train()
    losses = model(**model.data_preprocessor(batch(), True), mode='loss')
    assert 'distill.loss_bev' in losses and not backbone and not head
    full = build(distiller_cfg())
    assert full.teacher_forward == 'extract_feat+head'


def test_stop_flag_and_weight():
    model = build(distiller_cfg())
    model.train()
    data = model.data_preprocessor(batch(), True)
    model.distill_weight = 0.5
    torch.manual_seed(1)
    half = model(**data, mode='loss')
    loss = model.distill_losses['loss_bev']
    assert torch.allclose(half['distill.loss_bev'],
                          0.5 * 2.0 * ((loss.last['s_feat'] - loss.last['t_feat']) ** 2).mean())
    model.distillation_stopped = True
    calls = _count_calls(model.teacher.pts_voxel_encoder)
    stopped = model(**data, mode='loss')
    assert not calls and not any(k.startswith('distill.') for k in stopped)


def test_teacher_checkpoint_loading_and_inheritance(tmp_path):
    torch.manual_seed(0)
    teacher = build(teacher_cfg())
    teacher.init_weights()
    path = str(tmp_path / 'teacher.pth')
    atomic_save_checkpoint(dict(meta=dict(), state_dict=teacher.state_dict()), path)
    model = build(distiller_cfg(teacher_ckpt=path, allow_random_teacher=False,
                                inherit_from_teacher=['pts_bbox_head.task_heads']))
    for k, v in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[k], v), k
    s_heads = model.student.pts_bbox_head.task_heads.state_dict()
    for k, v in teacher.pts_bbox_head.task_heads.state_dict().items():
        assert torch.equal(s_heads[k], v), k
    model.init_weights()  # the runner re-initialises the student: inheritance is re-applied
    s_heads = model.student.pts_bbox_head.task_heads.state_dict()
    for k, v in teacher.pts_bbox_head.task_heads.state_dict().items():
        assert torch.equal(s_heads[k], v), k
    for k, v in teacher.state_dict().items():  # and the teacher is untouched
        assert torch.equal(model.teacher.state_dict()[k], v), k


def _runner(work_dir, max_iters, resume=False, load_from=None):
    return Runner(
        model=distiller_cfg(),
        work_dir=work_dir,
        train_dataloader=dict(dataset=dict(type='TinyDistillDataset', n=2), batch_size=1,
                              num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='TeacherFrozenGuardHook', interval=1)],
        default_scope='mmdet3d', resume=resume, load_from=load_from,
        env_cfg=dict(dist_cfg=dict(backend='gloo')), log_level='WARNING')


class _IterCounter(Hook):

    def __init__(self):
        self.n = 0

    def after_train_iter(self, *args, **kwargs):
        self.n += 1


def test_runner_checkpoint_has_no_teacher_and_resume_works(tmp_path):
    work = str(tmp_path / 'work')
    runner = _runner(work, 1)
    runner.train()
    ckpt_path = osp.join(work, 'iter_1.pth')
    ckpt = torch.load(ckpt_path, map_location='cpu', weights_only=True)
    keys = set(ckpt['state_dict'])
    assert not any('teacher' in k for k in keys)
    assert {k.split('.')[0] for k in keys} == {'student', 'adapters'}
    assert 'optimizer' in ckpt
    trained = runner.model.state_dict()
    resumed = _runner(work, 2, resume=True, load_from=ckpt_path)
    counter = _IterCounter()
    resumed.register_hook(counter)
    resumed.train()  # loads iter_1 (keys match the model exactly), runs iteration 2 only
    assert resumed.iter == 2 and counter.n == 1
    # the resumed run started from the saved student weights
    fresh = build(distiller_cfg())
    load_checkpoint(fresh, ckpt_path, map_location='cpu', strict=True)
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, trained[k]), k


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_moves_teacher():
    model = build(distiller_cfg()).cuda()
    assert next(model.teacher.parameters()).is_cuda
    model.train()
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert losses['distill.loss_bev'].is_cuda


def test_teacher_from_mmdet3d_config_path_and_file(tmp_path):
    from distill_tiny_models import STOCK_CFG
    from mmengine.config import Config
    model = build(distiller_cfg(teacher=STOCK_CFG, grid_check='off', teacher_taps=None,
                                adapters=None, kd_targets=None, distill_losses=None))
    assert type(model.teacher).__name__ == 'CenterPoint'
    assert tuple(model.teacher.pts_middle_encoder.output_shape) == (512, 512)  # stock grid
    path = str(tmp_path / 'teacher_cfg.py')
    Config(dict(model=teacher_cfg())).dump(path)
    model = build(distiller_cfg(teacher=path))
    assert tuple(model.teacher.pts_middle_encoder.output_shape) == (64, 64)
