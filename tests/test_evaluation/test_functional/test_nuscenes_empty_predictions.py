# Copyright (c) distillbev contributors. All rights reserved.
"""devkit's DetectionEval scores a detector that predicts nothing (0 AP) instead of raising."""
from nuscenes.eval.common import loaders
from nuscenes.eval.common.data_classes import EvalBoxes
from nuscenes.eval.detection.data_classes import DetectionBox

import distillbev  # noqa: F401


class _NoAnnotations:
    """The part of ``NuScenes`` that ``filter_eval_boxes`` reads (bike-rack lookup)."""

    def get(self, table, token):
        assert table == 'sample'
        return {'anns': []}


def test_all_empty_predictions_are_filtered_not_rejected():
    empty = EvalBoxes()
    empty.add_boxes('sample_a', [])
    empty.add_boxes('sample_b', [])
    assert loaders._get_box_class_field(empty) == 'detection_name'
    filtered = loaders.filter_eval_boxes(_NoAnnotations(), empty, {'car': 25}, verbose=False)
    assert filtered.sample_tokens == ['sample_a', 'sample_b']
    assert len(filtered.all) == 0


def test_non_empty_predictions_keep_devkit_behaviour():
    boxes = EvalBoxes()
    boxes.add_boxes('sample_a', [])
    boxes.add_boxes('sample_b', [DetectionBox(sample_token='sample_b', detection_name='car')])
    assert loaders._get_box_class_field(boxes) == 'detection_name'
