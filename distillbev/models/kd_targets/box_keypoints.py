# Copyright (c) distillbev contributors. All rights reserved.
"""UniDistill's 9 BEV keypoints per GT box as ``grid_sample`` coordinates."""
from typing import Any, Dict, Union

import torch
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from ...structures.bev_grid import BEVGrid, build_bev_grid
from .box_utils import as_batch_list, box_keypoints, boxes_to_bev


@MODELS.register_module()
class BoxKeypoints(nn.Module):
    """9 BEV keypoints per GT box, normalised for ``F.grid_sample`` on a (B, C, Y, X) map.

    UniDistill (Zhou et al., "UniDistill: A Universal Cross-Modality Knowledge Distillation
    Framework for 3D Object Detection in Bird's-Eye View", CVPR 2023) samples each box at its 4
    BEV corners, its centre and its 4 edge midpoints. Order here: corners (-dx/2, -dy/2),
    (-dx/2, +dy/2), (+dx/2, +dy/2), (+dx/2, -dy/2) in the box frame, centre, then the rear, left,
    front and right edge midpoints (the losses are invariant to the order).

    Unlike the official code, which puts the normalised *y* in ``grid[..., 0]``, the grid here
    is ``(x_norm, y_norm)``: ``grid[..., 0]`` indexes columns (x) and ``grid[..., 1]`` rows (y)
    of a rows = y map, so the sampled point is the box's own cell.

    Args:
        grid (BEVGrid | dict): the BEV grid of the maps to be sampled (range matters; the
            normalised coordinates do not depend on the resolution). Inside
            ``CrossModalDistiller`` leave it out: the distiller gives the student head's grid.
        align_corners (bool): the ``align_corners`` the loss will pass to ``grid_sample``.
            Defaults to False (UniDistill).
        drop_out_of_range (bool): mark boxes whose centre is outside the grid invalid.
            Defaults to True.
    """

    def __init__(self,
                 grid: Union[BEVGrid, dict],
                 align_corners: bool = False,
                 drop_out_of_range: bool = True) -> None:
        super().__init__()
        self.grid = build_bev_grid(grid)
        self.align_corners = align_corners
        self.drop_out_of_range = drop_out_of_range

    def forward(self, gt_bboxes_3d: Any) -> Dict[str, Tensor]:
        """Keypoints of a batch, padded to the largest number of boxes.

        Args:
            gt_bboxes_3d (list): per sample ``LiDARInstance3DBoxes`` or (M_b, 7+) tensors (or a
                zero-padded (B, M, 7+) tensor).

        Returns:
            dict: ``keypoints`` (B, M, 9, 2) float32 normalised (x, y) for ``grid_sample``
            (zeros for padding), ``valid`` (B, M) bool, ``points_xy`` (B, M, 9, 2) float32 in
            metres. M = max_b M_b (may be 0).
        """
        boxes = as_batch_list(gt_bboxes_3d)
        bevs = [boxes_to_bev(b) for b in boxes]
        device = bevs[0].device if bevs else None
        num = max([b.shape[0] for b in bevs] + [0])
        bsz = len(bevs)
        kpts = torch.zeros((bsz, num, 9, 2), device=device)
        pts = torch.zeros((bsz, num, 9, 2), device=device)
        valid = torch.zeros((bsz, num), dtype=torch.bool, device=device)
        for i, bev in enumerate(bevs):
            m = bev.shape[0]
            if m == 0:
                continue
            p = box_keypoints(bev)
            pts[i, :m] = p
            kpts[i, :m] = self.grid.world_to_grid_sample(p, self.align_corners)
            valid[i, :m] = self.grid.in_range(bev[:, :2]) if self.drop_out_of_range else True
        return dict(keypoints=kpts, valid=valid, points_xy=pts)

    def extra_repr(self) -> str:
        return f'grid={self.grid}, align_corners={self.align_corners}'
