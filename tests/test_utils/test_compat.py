# Copyright (c) distillbev contributors. All rights reserved.
"""Every stock-library patch lives in distillbev.utils.compat: listed, revertible, switchable."""
import inspect
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.runner import checkpoint as mm_ckpt
from mmengine.runner import runner as mm_runner
from nuscenes.eval.common import loaders

import distillbev
from distillbev.engine.checkpoint import atomic_save_checkpoint
from distillbev.evaluation.functional.nuscenes_empty_predictions import box_class_field
from distillbev.utils import compat


def test_import_applies_the_documented_patches():
    assert distillbev.compat is compat
    expected = ['torch_safe_globals', 'mmengine_atomic_save', 'nuscenes_empty_predictions']
    if not torch.cuda.is_available():
        expected[2:2] = ['kitti_cpu_rotate_iou', 'mmengine_cpu_ddp']
    assert compat.applied() == expected
    for name in compat.PATCHES:
        assert name in compat.__doc__


def test_disable_restores_the_stock_objects_and_apply_reinstalls():
    assert mm_runner.save_checkpoint is atomic_save_checkpoint
    assert loaders._get_box_class_field is box_class_field
    try:
        compat.disable('mmengine_atomic_save', 'nuscenes_empty_predictions')
        assert mm_runner.save_checkpoint is not atomic_save_checkpoint
        assert mm_ckpt.save_checkpoint is mm_runner.save_checkpoint
        assert loaders._get_box_class_field is not box_class_field
        assert 'mmengine_atomic_save' not in compat.applied()
    finally:
        compat.apply('mmengine_atomic_save')
        compat.apply('nuscenes_empty_predictions')
    assert mm_runner.save_checkpoint is atomic_save_checkpoint
    assert loaders._get_box_class_field is box_class_field


def test_unknown_names_are_rejected_with_the_list():
    with pytest.raises(ValueError, match='torch_safe_globals'):
        compat.disable('centerhead_prior')
    with pytest.raises(ValueError, match='unknown distillbev patch'):
        compat.disabled_by_env({compat.ENV_VAR: 'mmengine_atomic_save,nope'})
    assert compat.disabled_by_env({compat.ENV_VAR: 'all'}) == list(compat.PATCHES)
    assert compat.disabled_by_env({compat.ENV_VAR: ' mmengine_atomic_save , '}) == [
        'mmengine_atomic_save']


def test_environment_variable_turns_patches_off():
    code = textwrap.dedent('''
        import torch
        from mmengine.runner import runner
        from nuscenes.eval.common import loaders
        import distillbev
        from distillbev.engine.checkpoint import mmengine_safe_globals
        print(distillbev.compat.applied())
        print(runner.save_checkpoint.__module__, loaders._get_box_class_field.__module__)
        print(any(g is mmengine_safe_globals()[0] for g in torch.serialization.get_safe_globals()))
    ''')
    env = dict(os.environ, OMP_NUM_THREADS='1', DISTILLBEV_NO_PATCH='all')
    out = subprocess.run([sys.executable, '-c', code], env=env, check=True, capture_output=True,
                         text=True).stdout.split('\n')
    assert out[0] == '[]'
    assert out[1] == 'mmengine.runner.checkpoint nuscenes.eval.common.loaders'
    assert out[2] == 'False'


@pytest.mark.skipif(torch.cuda.is_available(), reason='installed only without CUDA')
def test_cpu_ddp_patch_reverts_to_mmengine():
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    patched = (dist_utils._init_dist_pytorch, MMDistributedDataParallel.__init__)
    try:
        compat.disable('mmengine_cpu_ddp')
        assert dist_utils._init_dist_pytorch is not patched[0]
        assert MMDistributedDataParallel.__init__ is not patched[1]
        assert 'torch.cuda.set_device' in inspect.getsource(dist_utils._init_dist_pytorch)
    finally:
        compat.apply('mmengine_cpu_ddp')
    assert dist_utils._init_dist_pytorch is compat._init_dist_pytorch_cpu
