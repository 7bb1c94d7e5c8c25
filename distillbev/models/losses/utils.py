# Copyright (c) distillbev contributors. All rights reserved.
"""Small helpers shared by the KD losses (fp32 computation, level lists, DDP normalisers)."""
from typing import Any, Callable, List, Optional, Sequence

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor


def no_autocast(ref: Tensor) -> torch.autocast:
    """A context that disables autocast on ``ref``'s device type (losses compute in fp32)."""
    return torch.autocast(device_type=ref.device.type, enabled=False)


def as_list(x: Any) -> List[Any]:
    """``x`` as a list over levels (a lone tensor / ``None`` becomes a one-element list)."""
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def broadcast_levels(x: Any, num: int, name: str) -> List[Any]:
    """A per-level argument: a list of length ``num``, or one value reused for every level."""
    if isinstance(x, (list, tuple)):
        if len(x) != num:
            raise ValueError(f'{name} has {len(x)} levels but the features have {num}')
        return list(x)
    return [x] * num


def check_same_shape(s: Tensor, t: Tensor, what: str) -> None:
    """Raise a ValueError naming the fix when student and teacher tensors differ in shape."""
    if s.shape != t.shape:
        raise ValueError(f'{what}: student {tuple(s.shape)} and teacher {tuple(t.shape)} differ; '
                         'add an adapter (distillbev.models.adapters) that maps the student to '
                         'the teacher channels / resolution')


def check_spatial(mask: Optional[Tensor], feat: Tensor, name: str) -> None:
    """Raise a ValueError when a (B, 1, H, W) mask does not match the feature map."""
    if mask is None:
        return
    if mask.dim() != 4 or mask.shape[0] != feat.shape[0] or mask.shape[-2:] != feat.shape[-2:]:
        raise ValueError(f'{name} has shape {tuple(mask.shape)} but the feature is '
                         f'{tuple(feat.shape)}; give a (B, 1, H, W) mask at the feature '
                         'resolution (e.g. BEVBoxMask(..., out_shapes=[(H, W), ...]))')


def synced_count(count: Tensor, sync: bool) -> Tensor:
    """``count`` averaged over DDP ranks when ``sync`` and torch.distributed is initialised."""
    if sync and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        count = count.clone()
        dist.all_reduce(count.div_(dist.get_world_size()))
    return count


def synced_world_size(sync: bool) -> int:
    """The number of DDP ranks when ``sync`` and torch.distributed is initialised, else 1."""
    if sync and dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def zero_like_loss(tensors: Sequence[Tensor]) -> Tensor:
    """A float32 zero that stays connected to the inputs' graph (for DDP)."""
    total = None
    for t in tensors:
        z = t.float().sum() * 0.0
        total = z if total is None else total + z
    return total


def sample_points(feat: Tensor, keypoints: Tensor, align_corners: bool, layout: str) -> Tensor:
    """Bilinearly sample a BEV map at normalised keypoints (zero padding outside).

    Args:
        feat (Tensor): (B, C, Y, X) map for ``layout='yx'`` (rows = y), (B, C, X, Y) for 'xy'.
        keypoints (Tensor): (B, M, P, 2) normalised (x, y) (``BoxKeypoints`` output).
        align_corners (bool): ``grid_sample``'s ``align_corners``.
        layout (str): ``'yx'`` or ``'xy'`` (the grid is swapped for 'xy' maps).

    Returns:
        Tensor: (B, C, M, P) float32.
    """
    grid = keypoints.float()
    if layout == 'xy':
        grid = grid.flip(-1)
    return F.grid_sample(feat.float(), grid, mode='bilinear', padding_mode='zeros',
                         align_corners=align_corners)


def per_box_mean(per_box: Tensor, valid: Tensor, sync: bool) -> Tensor:
    """``sum_valid per_box / N`` with N = #valid boxes (DDP-averaged if ``sync``).

    The count is all-reduced before anything else so that every rank joins the collective even
    without boxes. N is clamped to 1e-4 (the official ``N + 1e-4``), so no boxes gives 0.

    Args:
        per_box (Tensor): (B, M) float32 loss per box.
        valid (Tensor): (B, M) bool.
        sync (bool): average N over DDP ranks.

    Returns:
        Tensor: scalar float32.
    """
    count = synced_count(valid.float().sum(), sync)
    return (per_box * valid.float()).sum() / count.clamp(min=1e-4)


def check_layout(layout: str) -> None:
    """Raise a ValueError unless ``layout`` is ``'yx'`` (B, C, Y, X) or ``'xy'`` (B, C, X, Y)."""
    if layout not in ('yx', 'xy'):
        raise ValueError(f"layout must be 'yx' or 'xy'; got {layout!r}")


def keypoint_box_loss(s_feat: Tensor, keypoints: Tensor, valid: Optional[Tensor],
                      per_box_fn: Callable[[], Tensor], sync: bool) -> Tensor:
    """The box-averaged loss shared by the UniDistill keypoint losses.

    Computes in float32 (autocast off) ``per_box_mean(per_box_fn(), valid, sync)``. Without any
    box slot (M = 0) ``per_box_fn`` is not called: the result is a zero that still joins the DDP
    count reduction and stays connected to ``s_feat``'s graph.

    Args:
        s_feat (Tensor): (B, C, Y, X) student features (graph anchor, autocast device).
        keypoints (Tensor): (B, M, P, 2) normalised (x, y) sampling points.
        valid (Tensor, optional): (B, M) bool; all True if None.
        per_box_fn (Callable[[], Tensor]): returns the (B, M) float32 loss per box.
        sync (bool): average the box count over DDP ranks.

    Returns:
        Tensor: scalar float32 (before ``loss_weight``).
    """
    if valid is None:
        valid = torch.ones(keypoints.shape[:2], dtype=torch.bool, device=keypoints.device)
    valid = valid.bool()
    with no_autocast(s_feat):
        if keypoints.shape[1] == 0:
            zeros = s_feat.new_zeros(valid.shape, dtype=torch.float32)
            return per_box_mean(zeros, valid, sync) + zero_like_loss([s_feat])
        return per_box_mean(per_box_fn(), valid, sync)


__all__ = ['no_autocast', 'as_list', 'broadcast_levels', 'check_same_shape', 'check_spatial',
           'synced_count', 'zero_like_loss', 'sample_points',
           'per_box_mean', 'check_layout', 'keypoint_box_loss']
