# Copyright (c) distillbev contributors. All rights reserved.
"""The box term of BEVFormer's Hungarian matching cost (mmdet's ``BBoxL1Cost`` is 2D)."""
from typing import Optional, Union

import torch
from mmdet3d.registry import TASK_UTILS
from mmengine.structures import InstanceData
from torch import Tensor


@TASK_UTILS.register_module()
class BBox3DL1MatchCost:
    """L1 distance between normalised 3D boxes, ``weight * sum_d |pred_d - gt_d|``.

    Used inside mmdet's ``HungarianAssigner``. Only the first ``num_dims`` entries of the
    normalised code count (published: 8, i.e. centre, log sizes and sin/cos; no velocity).

    Args:
        weight (float): cost weight (published: 0.25).
        num_dims (int): leading entries of the code compared. Defaults to 8.
    """

    def __init__(self, weight: Union[float, int] = 1.0, num_dims: int = 8) -> None:
        self.weight = weight
        self.num_dims = num_dims

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData,
                 img_meta: Optional[dict] = None, **kwargs) -> Tensor:
        """``pred_instances.bboxes`` (Q, 10) and ``gt_instances.bboxes`` (M, 10) normalised
        boxes -> (Q, M) cost."""
        pred = pred_instances.bboxes[:, :self.num_dims]
        gt = gt_instances.bboxes[:, :self.num_dims]
        return torch.cdist(pred, gt, p=1) * self.weight
