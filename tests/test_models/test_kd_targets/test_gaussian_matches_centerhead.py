# Copyright (c) distillbev contributors. All rights reserved.
"""BEVBoxMask(mode='gaussian') on the head grid is CenterHead's own target heatmap (max over
classes): the same mmdet3d gaussian_radius / draw_heatmap_gaussian, the same cells."""
import os.path as osp
import sys

import torch
from mmengine.structures import InstanceData

from distillbev.models.kd_targets import BEVBoxMask
from distillbev.structures import BEVGrid
from mmdet3d.structures import LiDARInstance3DBoxes

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'test_distillers'))
from distill_tiny_models import build, teacher_cfg  # noqa: E402


def test_gaussian_mask_equals_centerhead_targets():
    teacher = build(teacher_cfg())  # stock CenterPoint-pillar head on +-6.4 m, 0.8 m cells
    head, grid = teacher.pts_bbox_head, BEVGrid.from_detector(teacher)
    boxes = torch.tensor([[2.5, -3.0, -1.0, 3.9, 1.7, 1.6, 0.3, 0.0, 0.0],
                          [-3.1, 2.2, -1.0, 1.0, 2.6, 1.5, -1.2, 0.0, 0.0],
                          [1.0, 4.0, -1.0, 0.7, 0.7, 1.8, 0.0, 0.0, 0.0],
                          [1.3, 4.3, -1.0, 0.8, 0.6, 1.8, 0.0, 0.0, 0.0]])
    gt = InstanceData(bboxes_3d=LiDARInstance3DBoxes(boxes, box_dim=9),
                      labels_3d=torch.tensor([0, 3, 8, 9]))
    heatmaps = head.get_targets([gt])[0]  # per task (B, classes, Y, X)
    expected = torch.cat(heatmaps, dim=1).amax(dim=1, keepdim=True)
    ours = BEVBoxMask(grid, mode='gaussian', scale='none', min_overlap=0.1, min_radius=2)(
        [boxes])['mask']
    assert ours.shape == expected.shape == (1, 1, 16, 16)
    torch.testing.assert_close(ours, expected)
