# Copyright (c) distillbev contributors. All rights reserved.
"""Catch a batch that was not collated before it reaches the data preprocessor."""
from typing import Any

from mmdet3d.structures import Det3DDataSample


def check_collated(data: Any) -> None:
    """Raise a clear error when ``data`` is one sample or a list of samples, not a batch.

    The dataloader's ``collate_fn`` (``pseudo_collate``) turns the dataset's per-sample dicts
    ``dict(inputs=..., data_samples=Det3DDataSample)`` into one batch
    ``dict(inputs=dict(points=[...], img=[...]), data_samples=[...])``. Handing the per-sample
    dicts to ``model.train_step`` / ``val_step`` / ``test_step`` directly otherwise fails deep in
    ``Det3DDataPreprocessor`` or, later, with a missing-input error that points at the pipeline.
    A list of collated batches (test-time augmentation) passes.

    Args:
        data: what the step received.

    Raises:
        TypeError: ``data`` holds per-sample dicts.
    """
    items = data if isinstance(data, (list, tuple)) else [data]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get('data_samples'), Det3DDataSample):
            raise TypeError(
                'the model got dataset samples that were not collated into a batch (each '
                '"data_samples" is one Det3DDataSample, not a list). Collate them first: '
                '`from mmengine.dataset import pseudo_collate; batch = pseudo_collate([ds[0], '
                'ds[1]])`, then `model.train_step(batch, optim_wrapper)` or '
                '`model.data_preprocessor(batch, training)`; a DataLoader needs '
                'collate_fn=pseudo_collate (the Runner sets it).')
