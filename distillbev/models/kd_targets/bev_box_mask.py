# Copyright (c) distillbev contributors. All rights reserved.
"""GT-box masks on the BEV grid: binary (with DistillBEV scaling) or CenterPoint Gaussian."""
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from ...structures.bev_grid import BEVGrid, build_bev_grid
from .box_utils import (as_batch_list, boxes_to_bev, draw_gaussians, normalize_shapes,
                        rasterize_boxes)


@MODELS.register_module()
class BEVBoxMask(nn.Module):
    """Foreground masks of GT boxes on a BEV grid (no learnable parameters).

    ``mode='binary'`` rasterises the rotated boxes (a cell is foreground if its centre lies in a
    box; the cell holding a box centre is always foreground), as the region decomposition of
    DistillBEV (Wang et al., "DistillBEV: Boosting Multi-Camera 3D Object Detection with
    Cross-Modal Knowledge Distillation", ICCV 2023), but with cell centres instead of the
    official code's cell corners. ``mode='gaussian'`` draws CenterPoint Gaussians (max over
    boxes), as the response-KD mask of UniDistill (Zhou et al., "UniDistill: A Universal
    Cross-Modality Knowledge Distillation Framework for 3D Object Detection in Bird's-Eye View",
    CVPR 2023: ``min_overlap=0.7, min_radius=0``) or CenterPoint's targets (0.1, 2).

    Scales (computed from the binary coverage whatever the mode):

    - ``scale='sqrt_area'`` (DistillBEV ``combine_gt``): on a foreground cell,
      ``sqrt(cell_area / (dx * dy))`` = 1 / sqrt(box area in cells) of the box covering it (the
      largest value, i.e. the smallest box, where boxes overlap); optionally clamped to
      ``max_fg_scale``.
    - ``scale='avg'``: ``1 / N_fg`` per sample on foreground cells.
    - ``scale='none'``: 1 on foreground cells.
    - ``bg_norm=True``: ``bg_scale = 1 / max(1, N_bg)`` per sample, N_bg = #cells with mask 0
      (DistillBEV subtracts the teacher false positives too: leave ``bg_scale`` of the loss unset
      to get that, see ``FGBGAttentionFeatureLoss``); else 1.

    Args:
        grid (BEVGrid | dict): the BEV grid (or ``BEVGrid`` kwargs). Inside
            ``CrossModalDistiller`` leave it out: the distiller gives the student head's grid.
        mode (str): ``'binary'`` or ``'gaussian'``. Defaults to ``'binary'``.
        scale (str): ``'none'``, ``'sqrt_area'`` or ``'avg'``. Defaults to ``'sqrt_area'``.
        bg_norm (bool): return ``1 / N_bg`` as ``bg_scale``. Defaults to True.
        min_overlap (float): Gaussian radius overlap. Defaults to 0.1.
        min_radius (int): Gaussian minimum radius (cells). Defaults to 2.
        max_fg_scale (float, optional): clamp of the ``sqrt_area`` scale (boxes smaller than a
            cell would otherwise get > 1). Defaults to None (no clamp, as the official code).
        class_ids (Sequence[int], optional): keep only boxes with these labels (needs
            ``gt_labels_3d``). Defaults to None (all boxes).
        out_shapes (Sequence, optional): default output resolution(s), ``(Y, X)`` or a list of
            them (one per feature level); the grid's range is kept, the cell size adapted. In a
            distiller, prefer ``inputs=dict(shape=['teacher.<level>.hw', ...])``: the sizes
            then follow the tapped maps.
    """

    def __init__(self,
                 grid: Union[BEVGrid, dict],
                 mode: str = 'binary',
                 scale: str = 'sqrt_area',
                 bg_norm: bool = True,
                 min_overlap: float = 0.1,
                 min_radius: int = 2,
                 max_fg_scale: Optional[float] = None,
                 class_ids: Optional[Sequence[int]] = None,
                 out_shapes: Optional[Sequence] = None) -> None:
        super().__init__()
        if mode not in ('binary', 'gaussian'):
            raise ValueError(f"BEVBoxMask mode must be 'binary' or 'gaussian'; got {mode!r}")
        if scale not in ('none', 'sqrt_area', 'avg'):
            raise ValueError("BEVBoxMask scale must be 'none', 'sqrt_area' or 'avg'; "
                             f'got {scale!r}')
        self.grid = build_bev_grid(grid)
        self.mode = mode
        self.scale = scale
        self.bg_norm = bg_norm
        self.min_overlap = float(min_overlap)
        self.min_radius = int(min_radius)
        self.max_fg_scale = max_fg_scale
        self.class_ids = None if class_ids is None else [int(c) for c in class_ids]
        self.out_shapes = out_shapes

    def forward(self,
                gt_bboxes_3d: Any,
                gt_labels_3d: Optional[Sequence[Tensor]] = None,
                shape: Optional[Sequence] = None) -> Dict[str, Union[Tensor, List[Tensor]]]:
        """Masks and scales for a batch.

        Args:
            gt_bboxes_3d (list): per sample ``LiDARInstance3DBoxes`` or (M_b, 7+) tensors (or a
                zero-padded (B, M, 7+) tensor).
            gt_labels_3d (list[Tensor], optional): per sample (M_b,) labels (used only with
                ``class_ids``).
            shape (tuple | list, optional): output (Y, X), or a list of them for several levels;
                defaults to ``out_shapes`` or the grid's shape.

        Returns:
            dict: ``mask`` (B, 1, Y, X) float32 (binary 0/1 or Gaussian in [0, 1]),
            ``fg_scale`` (B, 1, Y, X) float32 (0 on background cells), ``bg_scale``
            (B, 1, 1, 1) float32. With a list of shapes, each value is a list over levels.
        """
        shapes, multi = normalize_shapes(shape if shape is not None else self.out_shapes)
        if shapes is None:
            shapes = [self.grid.shape]
        boxes = as_batch_list(gt_bboxes_3d)
        bevs = []
        for i, b in enumerate(boxes):
            bev = boxes_to_bev(b)
            if self.class_ids is not None:
                if gt_labels_3d is None:
                    raise ValueError('BEVBoxMask(class_ids=...) needs gt_labels_3d')
                lab = torch.as_tensor(gt_labels_3d[i], device=bev.device).long()
                keep = torch.zeros_like(lab, dtype=torch.bool)
                for c in self.class_ids:
                    keep |= lab == c
                bev = bev[keep]
            bevs.append(bev)
        outs = [self._single_level(bevs, self.grid.with_shape(s)) for s in shapes]
        if multi:
            return {k: [o[k] for o in outs] for k in outs[0]}
        return outs[0]

    def _single_level(self, bevs: List[Tensor], grid: BEVGrid) -> Dict[str, Tensor]:
        masks, fg_scales, bg_scales = [], [], []
        for bev in bevs:
            cover = rasterize_boxes(grid, bev)  # (M, Y, X)
            fg = cover.any(dim=0)
            if self.mode == 'binary':
                mask = fg.float()
            else:
                mask = draw_gaussians(grid, bev, self.min_overlap, self.min_radius)
            if self.scale == 'sqrt_area':
                area = (bev[:, 2] * bev[:, 3]).clamp(min=1e-6)
                per_box = torch.sqrt(grid.cell_area / area)  # (M,)
                if self.max_fg_scale is not None:
                    per_box = per_box.clamp(max=float(self.max_fg_scale))
                fg_scale = (cover.float() * per_box[:, None, None]).amax(dim=0) \
                    if bev.shape[0] > 0 else fg.float()
            elif self.scale == 'avg':
                fg_scale = fg.float() / fg.sum().clamp(min=1).float()
            else:
                fg_scale = fg.float()
            num_bg = (mask <= 0).sum().clamp(min=1).float()
            bg_scale = 1.0 / num_bg if self.bg_norm else torch.ones_like(num_bg)
            masks.append(mask)
            fg_scales.append(fg_scale)
            bg_scales.append(bg_scale.reshape(1, 1, 1))
        return dict(
            mask=torch.stack(masks)[:, None],
            fg_scale=torch.stack(fg_scales)[:, None],
            bg_scale=torch.stack(bg_scales))

    def extra_repr(self) -> str:
        return (f'grid={self.grid}, mode={self.mode!r}, scale={self.scale!r}, '
                f'bg_norm={self.bg_norm}, min_overlap={self.min_overlap}, '
                f'min_radius={self.min_radius}')
