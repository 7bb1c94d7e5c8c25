# Copyright (c) distillbev contributors. All rights reserved.
"""Parameter-free KD targets: BEV grid, GT-box masks, keypoints, teacher FP / confidence."""
from ...structures.bev_grid import BEVGrid, build_bev_grid
from .bev_box_mask import BEVBoxMask
from .box2d_mask import Box2DMask, Center2DWindow, project_boxes_3d
from .box_keypoints import BoxKeypoints
from .rpd_depth_bins import (DepthUncertaintyWeight, RPDDepthBins, rpd_bin_edges,
                             rpd_bin_index)
from .teacher_confidence import TeacherConfidence, teacher_confidence
from .teacher_fp_mask import TeacherFPMask

__all__ = [
    'BEVGrid', 'build_bev_grid', 'BEVBoxMask', 'BoxKeypoints', 'TeacherFPMask',
    'TeacherConfidence', 'teacher_confidence', 'Box2DMask', 'Center2DWindow', 'project_boxes_3d',
    'RPDDepthBins', 'DepthUncertaintyWeight', 'rpd_bin_edges', 'rpd_bin_index'
]
