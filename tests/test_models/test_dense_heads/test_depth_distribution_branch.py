# Copyright (c) distillbev contributors. All rights reserved.
"""MonoMMKD's depth-distribution branch attached to MonoDLEHead as an extra output key: the
detection maps, losses and decoding of the head are unchanged."""
import pytest
import torch
from helpers.mono import MONO_HW, mono_sample
from mmdet3d.registry import MODELS

import distillbev  # noqa: F401

BRANCH = dict(type='DepthDistributionBranch', in_channels=16, feat_channels=8, num_bins=5)


def _heads():
    torch.manual_seed(0)
    plain = MODELS.build(dict(type='MonoDLEHead', in_channels=16, feat_channels=8))
    plain.init_weights()
    torch.manual_seed(0)
    extra = MODELS.build(dict(type='MonoDLEHead', in_channels=16, feat_channels=8,
                              extra_branches=dict(depth_dist=BRANCH)))
    extra.init_weights()
    extra.branches.load_state_dict(plain.branches.state_dict())
    return plain, extra


def test_extra_key_and_unchanged_detection():
    plain, extra = _heads()
    x = torch.randn(2, 16, MONO_HW[0] // 4, MONO_HW[1] // 4)
    a, b = plain(x), extra([x])
    assert set(b) == set(a) | {'depth_dist'}
    assert b['depth_dist'].shape == (2, 5, MONO_HW[0] // 4, MONO_HW[1] // 4)
    # zero-initialised output layer: a uniform distribution at the start
    assert torch.equal(b['depth_dist'], torch.zeros_like(b['depth_dist']))
    for k in a:
        assert torch.equal(a[k], b[k]), k
    samples = [mono_sample(), mono_sample(False)]
    la, lb = plain.loss_by_feat(a, samples), extra.loss_by_feat(b, samples)
    assert set(la) == set(lb)
    for k in la:
        assert torch.equal(la[k], lb[k]), k
    metas = [s.metainfo for s in samples]
    pa, pb = plain.predict_by_feat(a, metas), extra.predict_by_feat(b, metas)
    assert torch.equal(pa[0].scores_3d, pb[0].scores_3d)
    # the branch trains through a loss on its logits
    b['depth_dist'].sum().backward()
    assert extra.extra_branches['depth_dist'].branch[-1].weight.grad is not None


def test_clashing_key():
    with pytest.raises(ValueError, match='clash'):
        MODELS.build(dict(type='MonoDLEHead', extra_branches=dict(depth=BRANCH)))
