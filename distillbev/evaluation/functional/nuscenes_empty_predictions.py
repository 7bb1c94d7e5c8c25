# Copyright (c) distillbev contributors. All rights reserved.
"""Let nuscenes-devkit's ``DetectionEval`` score a model that predicts no box at all.

``NuScenesMetric`` hands devkit one (possibly empty) list of boxes per sample. When every list is
empty (an untrained or collapsed detector: every score below the coder's threshold), devkit's
``filter_eval_boxes`` asks ``_get_box_class_field`` for the class field of the first box, finds
none and raises ``Exception('Error: Invalid box type: None')``, so evaluation crashes instead of
reporting mAP 0. With no box there is nothing to filter: the wrapper answers
``'detection_name'`` (the field of ``DetectionBox``) and devkit goes on to score every class 0.
With any box, devkit's own function answers. The ``nuscenes_empty_predictions`` patch of
:mod:`distillbev.utils.compat` installs it.
"""
from nuscenes.eval.common import loaders

_ORIGINAL = loaders._get_box_class_field


def box_class_field(eval_boxes) -> str:
    """devkit's ``_get_box_class_field``, answering ``'detection_name'`` when no sample has a box.

    Args:
        eval_boxes (EvalBoxes): predictions or ground truth, per sample token.

    Returns:
        str: the class field of the boxes (``'detection_name'`` or ``'attribute_name'``).
    """
    if all(len(boxes) == 0 for boxes in eval_boxes.boxes.values()):
        return 'detection_name'
    return _ORIGINAL(eval_boxes)


__all__ = ['box_class_field']
