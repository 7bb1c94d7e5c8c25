# Copyright (c) distillbev contributors. All rights reserved.
"""MonoMMKD's depth targets: Road Plane Discretization (RPD) of projected LiDAR depth, and the
depth-uncertainty weight map derived from the student's depth distribution (reconstructed).

MonoMMKD ("Modal Mimicking Knowledge Distillation for Monocular 3D Detection", 2025) released
no code and its paper text was not available: the abstract and framework figure say that the
student's depth branch is supervised with LiDAR depth discretised by "Road Plane Discretization"
and that the feature distillation is weighted by the depth uncertainty. Everything below that
goes further is **our reconstruction** (see ``reference/methods.md`` §5.3):

- RPD bins: a camera at height ``h`` above a flat road sees the road point at depth ``d`` on the
  image row ``v = c_y + f h / d``. Slicing the road's image into equal row bands between the rows
  of ``d_max`` and ``d_min`` gives bins uniform in ``1 / d`` (``f h`` cancels): edge ``k`` is at
  ``1 / d_k = 1 / d_min - k (1 / d_min - 1 / d_max) / D``, bin 0 the nearest. One bin covers
  ``f h (1 / d_min - 1 / d_max) / D`` road rows (:func:`rpd_rows_per_bin`); KITTI at 1280x384
  (``f ~ 743``, ``h = 1.65 m``), 2-80 m, 80 bins: ~7.5 rows, about two stride-4 cells.
- Targets from the (augmented) projected LiDAR depth map: per stride-``s`` cell the nearest
  return of its ``s x s`` pixels (BEVDepth's down-sampling), its RPD bin; cells without a return
  or outside ``[d_min, d_max)`` are ignored.
- Uncertainty weight: ``w = 1 + alpha (1 - p_student(target bin))`` on cells with a target, 1
  elsewhere (detached): the feature KD insists where the student's depth distribution is far
  from the LiDAR's one-hot distribution (``1 - p`` is half their L1 distance).
"""
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn


def rpd_bin_edges(d_min: float, d_max: float, num_bins: int) -> Tensor:
    """(num_bins + 1,) depth edges, near to far, uniform in inverse depth (road rows)."""
    k = torch.arange(num_bins + 1, dtype=torch.float64)
    inv = 1.0 / d_min - k * (1.0 / d_min - 1.0 / d_max) / num_bins
    return (1.0 / inv).float()


def rpd_rows_per_bin(focal: float, cam_height: float, d_min: float, d_max: float,
                     num_bins: int) -> float:
    """Image rows of flat road covered by one RPD bin (``f h (1/d_min - 1/d_max) / D``)."""
    return focal * cam_height * (1.0 / d_min - 1.0 / d_max) / num_bins


def rpd_bin_index(depth: Tensor, d_min: float, d_max: float, num_bins: int) -> Tensor:
    """RPD bin of each depth (long, same shape); -1 where ``depth`` is not in ``[d_min, d_max)``
    (0 = no LiDAR return)."""
    depth = depth.double()
    valid = (depth >= d_min) & (depth < d_max)
    step = (1.0 / d_min - 1.0 / d_max) / num_bins
    idx = torch.floor((1.0 / d_min - 1.0 / depth.clamp(min=d_min)) / step).long()
    idx = idx.clamp(0, num_bins - 1)
    return torch.where(valid, idx, torch.full_like(idx, -1))


def nearest_depth_pool(depth: Tensor, out_hw: Tuple[int, int]) -> Tensor:
    """(B, 1, H, W) sparse depths -> (B, 1, h, w): the smallest positive depth per cell (0 if
    none); ``H / h`` and ``W / w`` must be equal integers."""
    h, w = out_hw
    sh, sw = depth.shape[-2] // h, depth.shape[-1] // w
    if sh * h != depth.shape[-2] or sw * w != depth.shape[-1]:
        raise ValueError(f'depth map {tuple(depth.shape[-2:])} is not a multiple of the target '
                         f'map {tuple(out_hw)}')
    inf = torch.full_like(depth, float('inf'))
    near = -F.max_pool2d(-torch.where(depth > 0, depth, inf), (sh, sw))
    return torch.where(torch.isinf(near), torch.zeros_like(near), near)


def _stack_depth(depth_maps: Any) -> Tensor:
    if torch.is_tensor(depth_maps):
        d = depth_maps
    else:
        d = torch.stack([torch.as_tensor(m) for m in depth_maps])
    d = d.float()
    if d.dim() == 3:
        d = d[:, None]
    if d.dim() != 4 or d.shape[1] != 1:
        raise ValueError(f'depth maps must be (B, 1, H, W) or a list of (1, H, W) / (H, W); got '
                         f'{tuple(d.shape)} (pack "gt_depth" with PackDepthImageInputs)')
    return d


@MODELS.register_module()
class RPDDepthBins(nn.Module):
    """RPD depth-bin targets of a batch (no parameters; see the module docstring).

    Args:
        d_min (float): nearest depth. Defaults to 2.0.
        d_max (float): farthest depth (exclusive). Defaults to 80.0.
        num_bins (int): Defaults to 80.
    """

    def __init__(self, d_min: float = 2.0, d_max: float = 80.0, num_bins: int = 80) -> None:
        super().__init__()
        if not 0 < d_min < d_max:
            raise ValueError(f'RPDDepthBins needs 0 < d_min < d_max; got {d_min}, {d_max}')
        self.d_min, self.d_max, self.num_bins = float(d_min), float(d_max), int(num_bins)

    def forward(self, depth_maps: Any, shape: Optional[Sequence[int]] = None) -> Dict[str, Tensor]:
        """Targets at the depth branch's resolution.

        Args:
            depth_maps (Tensor | list[Tensor]): (B, 1, H, W) metres (0 = no return), e.g.
                ``data.samples.*.gt_depth`` (``PackDepthImageInputs``, after the augmentation).
            shape (tuple, optional): (h, w) of the branch's map; defaults to (H, W).

        Returns:
            dict: ``bins`` (B, h, w) long (-1 = ignored), ``valid`` (B, 1, h, w) float 0/1,
            ``depth`` (B, 1, h, w) the pooled depths.
        """
        d = _stack_depth(depth_maps)
        if shape is not None and tuple(shape) != tuple(d.shape[-2:]):
            d = nearest_depth_pool(d, tuple(int(v) for v in shape))
        bins = rpd_bin_index(d[:, 0], self.d_min, self.d_max, self.num_bins)
        return dict(bins=bins, valid=(bins >= 0).float()[:, None], depth=d)

    def extra_repr(self) -> str:
        return f'd_min={self.d_min}, d_max={self.d_max}, num_bins={self.num_bins}'


@MODELS.register_module()
class DepthUncertaintyWeight(nn.Module):
    """``w = 1 + alpha (1 - softmax(logits)[target bin])`` where a target exists, else 1.

    Args:
        alpha (float): Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, depth_logits: Tensor, bins: Tensor) -> Dict[str, Tensor]:
        """Args:
            depth_logits (Tensor): (B, D, h, w) the student's depth-bin logits.
            bins (Tensor): (B, h, w) RPD targets (-1 = none).

        Returns:
            dict: ``weight`` (B, 1, h, w) float32, detached; ``discrepancy`` (B, 1, h, w):
            ``1 - p(target)`` (0 without a target).
        """
        if depth_logits.shape[0] != bins.shape[0] or depth_logits.shape[-2:] != bins.shape[-2:]:
            raise ValueError(f'depth logits {tuple(depth_logits.shape)} and RPD bins '
                             f'{tuple(bins.shape)} differ; draw the targets at the branch size')
        prob = torch.softmax(depth_logits.detach().float(), dim=1)
        valid = bins >= 0
        p_gt = prob.gather(1, bins.clamp(min=0)[:, None])
        disc = torch.where(valid[:, None], 1.0 - p_gt, torch.zeros_like(p_gt))
        return dict(weight=1.0 + self.alpha * disc, discrepancy=disc)
