# Copyright (c) distillbev contributors. All rights reserved.
"""A batch that was not collated is named as such, with the fix, before the preprocessor fails."""
import pytest
from distill_tiny_models import batch, build, distiller_cfg

from distillbev.models.distillers.batch_check import check_collated


def _uncollated(b):
    return [dict(inputs=dict(points=b['inputs']['points'][i]), data_samples=b['data_samples'][i])
            for i in range(len(b['data_samples']))]


def test_uncollated_samples_raise_with_the_fix():
    model = build(distiller_cfg())
    b = batch()
    for bad in (_uncollated(b), _uncollated(b)[0]):
        for step in (model.val_step, model.test_step):
            with pytest.raises(TypeError, match='pseudo_collate'):
                step(bad)
        with pytest.raises(TypeError, match='not collated'):
            model.train_step(bad, optim_wrapper=None)
    # collated batches pass: one, or a list of them (test-time augmentation)
    check_collated(b)
    check_collated([b, b])
    out = model.test_step(b)
    assert len(out) == len(b['data_samples'])
