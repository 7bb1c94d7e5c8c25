# Copyright (c) distillbev contributors. All rights reserved.
"""Teacher-feature cache: exact read-back, the teacher skipped on hits, stale caches never read,
fixed BEV augmentations (replay), and the pipeline conditions checked at build time."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from distill_tiny_models import build, distiller_cfg
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from distillbev.datasets.transforms import GlobalBEVAug3D
from distillbev.models.distillers import DistillerConfigError
from distillbev.models.distillers.pipeline_check import check_distill_pipeline
from distillbev.models.distillers.teacher_cache import TeacherFeatureCache, tree_cat, tree_index

BENCH_CMKD = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'cmkd',
                      'cmkd_bevdepth-r18_centerpoint-pillar04_1xb4-15min_synthetic-nus-bench-3d.py')


class _Log(Hook):

    def __init__(self):
        self.losses, self.teacher_calls = [], 0

    def before_train(self, runner):
        runner.model.teacher.pts_voxel_encoder.register_forward_hook(self._count)

    def _count(self, *args):
        self.teacher_calls += 1

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append({k: float(v) for k, v in outputs.items()})


def _train(work, cache_dir=None, epochs=2):
    model = distiller_cfg()
    if cache_dir is not None:
        model['teacher_cache'] = dict(dir=str(cache_dir))
    runner = Runner(
        model=model, work_dir=str(work),
        train_dataloader=dict(dataset=dict(type='TinyDistillDataset'), batch_size=2, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=100)),
        custom_hooks=[dict(type='DistillPipelineCheckHook')],
        randomness=dict(seed=0), default_scope='mmdet3d', log_level='WARNING')
    log = _Log()
    runner.register_hook(log)
    runner.train()
    return runner, log


def test_cached_training_is_exact_and_skips_the_teacher(tmp_path):
    _, live = _train(tmp_path / 'live')
    runner, cached = _train(tmp_path / 'cached', tmp_path / 'cache')
    assert cached.losses == live.losses  # every loss term, every iteration, bit for bit
    # epoch 1 runs the teacher on every batch (2 batches), epoch 2 reads all from the cache
    assert live.teacher_calls == 4 and cached.teacher_calls == 2
    cache = runner.model.teacher_cache
    assert (cache.hits, cache.misses) == (2, 2)
    assert sorted(f for f in os.listdir(cache.folder)) == [
        f'{i}_na.pt' for i in range(4)]  # one file per sample (no bev_aug_id: no BEV aug)
    # a second run reads the first run's cache from its first iteration
    _, again = _train(tmp_path / 'again', tmp_path / 'cache', epochs=1)
    assert again.teacher_calls == 0 and again.losses == live.losses[:2]


def test_a_stale_cache_is_never_read(tmp_path):
    from distillbev.engine.checkpoint import atomic_save_checkpoint
    teacher = build(distiller_cfg()).teacher
    folders = []
    for scale in (1.0, 2.0):  # two teacher checkpoints with different weights
        sd = {k: v * scale if v.is_floating_point() else v
              for k, v in teacher.state_dict().items()}
        path = str(tmp_path / f't{scale}.pth')
        atomic_save_checkpoint(dict(state_dict=sd), path)
        model = build(distiller_cfg(teacher_ckpt=path, allow_random_teacher=False,
                                    teacher_cache=dict(dir=str(tmp_path / 'cache'))))
        folders.append(model.teacher_cache.set_pipeline([dict(type='A')]))
        assert model.teacher_cache.set_pipeline([dict(type='B')]) != folders[-1]
    assert folders[0] != folders[1]
    unbound = TeacherFeatureCache(str(tmp_path / 'c'))
    with pytest.raises(DistillerConfigError, match='DistillPipelineCheckHook'):
        unbound.load([dict(sample_idx=0)])


def test_tree_slicing_round_trip():
    value = dict(a=torch.arange(6.).reshape(3, 2),
                 heads=([dict(heatmap=torch.randn(3, 2, 4, 4))], ), n=7)
    parts = [tree_index(value, i) for i in range(3)]
    assert parts[1]['a'].shape == (1, 2) and parts[1]['n'] == 7
    back = tree_cat(parts)
    assert torch.equal(back['a'], value['a'])
    assert torch.equal(back['heads'][0][0]['heatmap'], value['heads'][0][0]['heatmap'])


def test_replayed_bev_augmentations_are_fixed_per_sample_and_id():
    from mmdet3d.structures import LiDARPoints
    aug = GlobalBEVAug3D(replay=3)
    seen = {}
    np.random.seed(0)
    for _ in range(30):
        for idx in (0, 1):
            out = aug(dict(sample_idx=idx, points=LiDARPoints(torch.ones(1, 3))))
            key = (idx, out['bev_aug_id'])
            matrix = out['lidar_aug_matrix'].tolist()
            assert seen.setdefault(key, matrix) == matrix
    assert len(seen) == 6  # 3 fixed augmentations for each of the 2 samples
    assert seen[(0, 0)] != seen[(1, 0)] and seen[(0, 0)] != seen[(0, 1)]
    with pytest.raises(ValueError, match='replay'):
        GlobalBEVAug3D(replay=0)


@pytest.mark.parametrize('change,match', [
    (None, 'LoadPointsFromMultiSweeps picks random sweeps'),
    ('sweeps', 'GlobalBEVAug3D draws a new augmentation'),
    ('replay+sweeps', 'PointShuffle'),
])
def test_pipeline_must_give_the_teacher_one_input_per_key(change, match):
    cfg = Config.fromfile(BENCH_CMKD)
    cfg.model.teacher_cache = dict(dir='/tmp/x')
    pipe = cfg.train_dataloader.dataset.pipeline
    for t in pipe:
        if change == 'replay+sweeps' and t['type'] == 'GlobalBEVAug3D':
            t['replay'] = 4
        if change and t['type'] == 'LoadPointsFromMultiSweeps':
            t['test_mode'] = True
    with pytest.raises(DistillerConfigError, match=match):
        check_distill_pipeline(cfg)
    cfg.train_dataloader.dataset.pipeline = [t for t in pipe if t['type'] != 'PointShuffle']
    if change == 'replay+sweeps':
        check_distill_pipeline(cfg)  # cacheable now
