# Copyright (c) distillbev contributors. All rights reserved.
"""Pure-PyTorch BEV box geometry shared by the KD target generators.

Boxes follow mmdet3d 1.x ``LiDARInstance3DBoxes``: ``(x, y, z, dx, dy, dz, yaw, ...)`` with
``dx`` the extent along the heading, ``yaw`` counter-clockwise from the +x axis. Only the BEV part
``(x, y, dx, dy, yaw)`` matters here (z is ignored).
"""
from typing import Any, List, Optional, Sequence, Tuple

import torch
from mmdet3d.models.utils import draw_heatmap_gaussian
from mmdet3d.models.utils import gaussian_radius as mmdet3d_gaussian_radius
from torch import Tensor

from ...structures.bev_grid import BEVGrid

# Box-local BEV offsets of the 9 UniDistill keypoints in units of (dx / 2, dy / 2):
# 4 corners in the order of LiDARInstance3DBoxes.corners' bottom face ((x0, y0), (x0, y1),
# (x1, y1), (x1, y0)), the centre, then the midpoints of the edges (c0 c1), (c1 c2), (c2 c3),
# (c3 c0) = rear, left, front, right.
KEYPOINT_OFFSETS = ((-1., -1.), (-1., 1.), (1., 1.), (1., -1.), (0., 0.), (-1., 0.), (0., 1.),
                    (1., 0.), (0., -1.))


def boxes_to_bev(boxes: Any, device: Optional[torch.device] = None) -> Tensor:
    """BEV parameters of 3D boxes.

    Args:
        boxes (LiDARInstance3DBoxes | Tensor): M boxes; a tensor must be (M, 7+) laid out as
            ``(x, y, z, dx, dy, dz, yaw, ...)``. ``None`` means no boxes.
        device (torch.device, optional): output device (defaults to the boxes' device).

    Returns:
        Tensor: (M, 5) float32 ``(x, y, dx, dy, yaw)``.
    """
    if boxes is None:
        return torch.zeros((0, 5), device=device)
    t = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    if not isinstance(t, Tensor):
        t = torch.as_tensor(t)
    if t.numel() == 0:
        return torch.zeros((0, 5), device=device if device is not None else t.device)
    if t.dim() != 2 or t.shape[1] < 7:
        raise ValueError('boxes must be LiDARInstance3DBoxes or an (M, 7+) tensor '
                         f'(x, y, z, dx, dy, dz, yaw, ...); got shape {tuple(t.shape)}')
    t = t.detach().float()
    if device is not None:
        t = t.to(device)
    return t[:, [0, 1, 3, 4, 6]]


def rasterize_boxes(grid: BEVGrid, bev: Tensor, chunk: int = 64) -> Tensor:
    """Which cells each rotated BEV box covers.

    A cell belongs to a box if its centre lies inside the rotated rectangle (boundary
    included). The cell that contains the box centre is always marked (if in range), so a box
    smaller than a cell still occupies one cell.

    Args:
        grid (BEVGrid): the grid.
        bev (Tensor): (M, 5) boxes ``(x, y, dx, dy, yaw)``.
        chunk (int): boxes processed at once (memory bound M_chunk x Y x X).

    Returns:
        Tensor: (M, Y, X) bool.
    """
    num_y, num_x = grid.shape
    out = torch.zeros((bev.shape[0], num_y, num_x), dtype=torch.bool, device=bev.device)
    if bev.shape[0] == 0:
        return out
    centres = grid.cell_centers(device=bev.device)  # (Y, X, 2)
    for s in range(0, bev.shape[0], chunk):
        b = bev[s:s + chunk]
        dx = centres[None, ..., 0] - b[:, 0, None, None]
        dy = centres[None, ..., 1] - b[:, 1, None, None]
        cos, sin = torch.cos(b[:, 4])[:, None, None], torch.sin(b[:, 4])[:, None, None]
        local_x = dx * cos + dy * sin
        local_y = -dx * sin + dy * cos
        eps = 1e-5
        out[s:s + chunk] = ((local_x.abs() <= b[:, 2, None, None] / 2 + eps)
                            & (local_y.abs() <= b[:, 3, None, None] / 2 + eps))
    idx = grid.world_to_index(bev[:, :2])
    ok = grid.in_range(bev[:, :2])
    m = torch.nonzero(ok).flatten()
    out[m, idx[m, 1], idx[m, 0]] = True
    return out


def gaussian_radius(length: Tensor, width: Tensor, min_overlap: float) -> Tensor:
    """CornerNet / CenterPoint Gaussian radius of each box (in cells), by mmdet3d's formula.

    Calls mmdet3d's ``gaussian_radius`` (``mmdet3d.models.utils``, the one ``CenterHead`` uses)
    once per box. Why a wrapper: mmdet3d's takes one box (``det_size=(h, w)``) and returns
    ``min(r1, r2, r3)`` with Python's ``min``, which is ambiguous for tensors of several boxes;
    this function takes ``(M,)`` sizes and returns ``(M,)`` radii.

    Args:
        length (Tensor): (M,) box sizes in cells along one axis.
        width (Tensor): (M,) box sizes in cells along the other axis.
        min_overlap (float): minimum IoU.

    Returns:
        Tensor: (M,) float radii.
    """
    length, width = length.float().reshape(-1), width.float().reshape(-1)
    radii = [mmdet3d_gaussian_radius((h, w), min_overlap=float(min_overlap))
             for h, w in zip(length, width)]
    return torch.stack(radii) if radii else length.new_zeros((0,))


def draw_gaussians(grid: BEVGrid, bev: Tensor, min_overlap: float, min_radius: int) -> Tensor:
    """CenterPoint-style class-agnostic Gaussian heatmap of boxes (max over boxes).

    Exactly ``CenterHead.get_targets_single``'s drawing, with mmdet3d's own
    ``gaussian_radius`` and ``draw_heatmap_gaussian``: for each box whose centre is inside the
    grid, radius ``r = max(min_radius, int(gaussian_radius(dx / cell_x, dy / cell_y,
    min_overlap)))``, ``sigma = (2r + 1) / 6``, peak 1 at the cell containing the centre, values
    ``exp(-(di^2 + dj^2) / (2 sigma^2))`` inside the ``(2r + 1) x (2r + 1)`` window (zero outside
    it and below float eps), max over boxes. Cells may be non-square: the box sizes are divided
    by ``cell_x`` and ``cell_y`` separately before the radius is computed.

    Args:
        grid (BEVGrid): the grid.
        bev (Tensor): (M, 5) boxes ``(x, y, dx, dy, yaw)``.
        min_overlap (float): ``gaussian_radius`` overlap (0.1 CenterPoint targets, 0.7
            UniDistill response mask).
        min_radius (int): lower bound of the radius (2 CenterPoint, 0 UniDistill).

    Returns:
        Tensor: (Y, X) float32 in [0, 1].
    """
    num_y, num_x = grid.shape
    heat = torch.zeros((num_y, num_x), device=bev.device)
    bev = bev[grid.in_range(bev[:, :2])]
    if bev.shape[0] == 0:
        return heat
    radius = gaussian_radius(bev[:, 2] / grid.cell_x, bev[:, 3] / grid.cell_y, min_overlap)
    idx = grid.world_to_index(bev[:, :2])  # (M, 2) (col, row)
    for k in range(bev.shape[0]):
        r = max(int(min_radius), int(radius[k]))
        draw_heatmap_gaussian(heat, idx[k], r)  # centre (col, row), in place
    return heat


def box_keypoints(bev: Tensor) -> Tensor:
    """The 9 UniDistill BEV keypoints of each box, in metres.

    Args:
        bev (Tensor): (M, 5) boxes ``(x, y, dx, dy, yaw)``.

    Returns:
        Tensor: (M, 9, 2) (x, y): corners (-,-), (-,+), (+,+), (+,-) in box-local (dx/2, dy/2)
        units, centre, then the rear, left, front and right edge midpoints
        (see ``KEYPOINT_OFFSETS``).
    """
    offs = torch.tensor(KEYPOINT_OFFSETS, dtype=bev.dtype, device=bev.device)  # (9, 2)
    lx = offs[None, :, 0] * bev[:, 2, None] / 2
    ly = offs[None, :, 1] * bev[:, 3, None] / 2
    cos, sin = torch.cos(bev[:, 4, None]), torch.sin(bev[:, 4, None])
    x = bev[:, 0, None] + lx * cos - ly * sin
    y = bev[:, 1, None] + lx * sin + ly * cos
    return torch.stack([x, y], dim=-1)


def as_batch_list(boxes: Any) -> List[Any]:
    """A list over the batch of per-sample boxes.

    Args:
        boxes (list | tuple | Tensor): per-sample boxes, or a (B, M, 7+) padded tensor (rows of
            zeros are padding and are dropped).

    Returns:
        list: per-sample boxes.
    """
    if isinstance(boxes, Tensor) and boxes.dim() == 3:
        out = []
        for b in boxes:
            keep = b.abs().sum(dim=-1) > 0
            out.append(b[keep])
        return out
    if isinstance(boxes, (list, tuple)):
        return list(boxes)
    raise TypeError('gt_bboxes_3d must be a list over the batch of LiDARInstance3DBoxes / '
                    f'(M, 7+) tensors, or a padded (B, M, 7+) tensor; got {type(boxes)}')


def normalize_shapes(shape: Optional[Sequence]) -> Tuple[Optional[List[Tuple[int, int]]], bool]:
    """Normalise a ``shape`` argument.

    Args:
        shape (None | (Y, X) | list of (Y, X)): requested output resolution(s).

    Returns:
        tuple: (list of (Y, X) or ``None``, whether a list of levels was requested).
    """
    if shape is None:
        return None, False
    if len(shape) == 2 and all(isinstance(s, int) for s in shape):
        return [(int(shape[0]), int(shape[1]))], False
    return [(int(s[0]), int(s[1])) for s in shape], True


__all__ = ['KEYPOINT_OFFSETS', 'boxes_to_bev', 'rasterize_boxes', 'gaussian_radius',
           'draw_gaussians', 'box_keypoints', 'as_batch_list', 'normalize_shapes']
