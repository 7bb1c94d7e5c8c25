# Copyright (c) distillbev contributors. All rights reserved.
"""The one BEV grid of distillbev: parsed here, derived once from the student's head.

Every consumer (KD targets, keypoint samplers, the view transformers' ``grid_config``, the
distiller's teacher/student grid check) uses :class:`BEVGrid`; the three ways a grid is written in
mmdet3d configs are parsed by its constructors only:

- ``BEVGrid(point_cloud_range, voxel_size=..., out_size_factor=...)`` / ``cell_size=...``;
- :meth:`BEVGrid.from_detector`: a detector's BEV head (``train_cfg`` or ``bbox_coder`` of its
  ``pts_bbox_head`` / ``bbox_head``), the grid the distiller hands to KD targets and losses;
- :meth:`BEVGrid.from_grid_config`: a BEVDet-style ``grid_config`` (``x``/``y``/``z`` as
  ``[min, max, step]``) of the lift-splat view transformers.
"""
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

import torch
from mmdet3d.registry import MODELS
from torch import Tensor, nn

_Number = Union[int, float]


@MODELS.register_module()
class BEVGrid:
    """A BEV grid in the LiDAR frame with the layout of mmdet3d's CenterHead.

    Contract (distillbev DESIGN, "Coordinates"): BEV maps are ``(B, C, Y, X)``; row index = y,
    column index = x; row 0 starts at ``point_cloud_range[1]`` (y_min), column 0 at
    ``point_cloud_range[0]`` (x_min); a cell is referenced by its centre, i.e. cell ``(row, col)``
    has centre ``(x_min + (col + 0.5) * cell_x, y_min + (row + 0.5) * cell_y)``.

    Continuous *cell coordinates* ``(u, v)`` are ``u = (x - x_min) / cell_x`` (column axis) and
    ``v = (y - y_min) / cell_y`` (row axis); cell ``(row, col)`` covers ``[col, col + 1) x
    [row, row + 1)`` and its centre is ``(col + 0.5, row + 0.5)``. Every point-like tensor handled
    here keeps the (x, y) / (u, v) order in its last dimension.

    Args:
        point_cloud_range (Sequence[float]): ``[x_min, y_min, z_min, x_max, y_max, z_max]``
            (a 4-element ``[x_min, y_min, x_max, y_max]`` is also accepted).
        voxel_size (float | Sequence[float], optional): voxel size; the BEV cell is
            ``voxel_size[:2] * out_size_factor`` (as in CenterHead's ``train_cfg``). A scalar
            means square voxels. Exactly one of ``voxel_size`` and ``cell_size`` is required.
        out_size_factor (int): downsampling from the voxel grid to the BEV map. Defaults to 1.
        cell_size (float | Sequence[float], optional): the BEV cell size (x, y) directly.

    Raises:
        ValueError: the range is not a whole number of cells along x or y, or the sizes are
            missing / non-positive.
    """

    def __init__(self,
                 point_cloud_range: Sequence[_Number],
                 voxel_size: Optional[Union[_Number, Sequence[_Number]]] = None,
                 out_size_factor: _Number = 1,
                 cell_size: Optional[Union[_Number, Sequence[_Number]]] = None) -> None:
        pcr = [float(v) for v in point_cloud_range]
        if len(pcr) == 6:
            x_min, y_min, _, x_max, y_max, _ = pcr
        elif len(pcr) == 4:
            x_min, y_min, x_max, y_max = pcr
        else:
            raise ValueError('point_cloud_range must have 6 values [x_min, y_min, z_min, x_max, '
                             f'y_max, z_max] (or 4 values [x_min, y_min, x_max, y_max]); got {pcr}')
        if (voxel_size is None) == (cell_size is None):
            raise ValueError('BEVGrid needs exactly one of voxel_size (with out_size_factor) and '
                             f'cell_size; got voxel_size={voxel_size}, cell_size={cell_size}')
        if cell_size is None:
            vs = _pair(voxel_size)
            cell = (vs[0] * float(out_size_factor), vs[1] * float(out_size_factor))
        else:
            cell = _pair(cell_size)
        if cell[0] <= 0 or cell[1] <= 0 or x_max <= x_min or y_max <= y_min:
            raise ValueError(f'BEVGrid needs positive cell sizes and x_max > x_min, y_max > y_min; '
                             f'got range {pcr} and cell {cell}')
        sizes = []
        for axis, lo, hi, c in (('x', x_min, x_max, cell[0]), ('y', y_min, y_max, cell[1])):
            n = (hi - lo) / c
            if abs(n - round(n)) > 1e-4 * max(1.0, abs(n)):
                raise ValueError(
                    f'BEVGrid: the {axis} extent of point_cloud_range ({lo} .. {hi} = {hi - lo} m) '
                    f'is not a whole number of {c} m cells ({n:.6f}). Fix point_cloud_range, '
                    f'voxel_size or out_size_factor so that (max - min) / cell is an integer.')
            sizes.append(int(round(n)))
        self.x_min, self.y_min, self.x_max, self.y_max = x_min, y_min, x_max, y_max
        self.cell_x, self.cell_y = cell
        self.num_x, self.num_y = sizes
        # Vertical extent: known from a 6-value range; split in cells only by from_grid_config.
        self.z_min: Optional[float] = pcr[2] if len(pcr) == 6 else None
        self.z_max: Optional[float] = pcr[5] if len(pcr) == 6 else None
        self.cell_z: Optional[float] = None
        self.num_z: Optional[int] = None

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_grid_config(cls, grid_config: Mapping[str, Sequence[_Number]]) -> 'BEVGrid':
        """The grid of a BEVDet-style ``grid_config`` (lift-splat view transformers).

        Args:
            grid_config (dict): ``x``, ``y``, ``z`` entries ``[min, max, step]`` in metres
                (LiDAR frame), e.g. ``dict(x=[-51.2, 51.2, 0.8], y=[-51.2, 51.2, 0.8],
                z=[-5, 3, 8])``; other keys (``depth``) are ignored.

        Returns:
            BEVGrid: cell ``(x step, y step)``, with ``z_min``, ``cell_z`` and ``num_z`` set.

        Raises:
            ValueError: an axis is missing or its extent is not a positive multiple of its step.
        """
        bounds = {}
        for key in ('x', 'y', 'z'):
            if key not in grid_config:
                raise ValueError(f'grid_config needs x, y and z entries [min, max, step]; '
                                 f'{key!r} missing.')
            lo, hi, step = (float(v) for v in grid_config[key])
            n = int(round((hi - lo) / step)) if step > 0 else 0
            if n <= 0 or abs(lo + n * step - hi) > 1e-4 * max(1.0, abs(hi)):
                raise ValueError(f'grid_config[{key!r}] = {list(grid_config[key])}: (max - min) '
                                 f'must be a positive multiple of step.')
            bounds[key] = (lo, hi, step, n)
        (x0, x1, dx, _), (y0, y1, dy, _), (z0, z1, dz, nz) = (bounds[k] for k in 'xyz')
        grid = cls([x0, y0, z0, x1, y1, z1], cell_size=(dx, dy))
        grid.cell_z, grid.num_z = dz, nz
        return grid

    @classmethod
    def from_detector(cls, model: nn.Module) -> Optional['BEVGrid']:
        """The output grid of a detector's BEV head (mmdet3d ``CenterHead`` conventions).

        Read from the head's ``train_cfg`` (``point_cloud_range``, ``voxel_size``,
        ``out_size_factor``), each missing entry taken from its ``bbox_coder`` (``pc_range``,
        ``voxel_size``, ``out_size_factor``); the x/y extent then comes from ``train_cfg.grid_size``
        (voxels) when the range is only the coder's 2-value ``pc_range``.

        Args:
            model (nn.Module): a detector with ``pts_bbox_head`` or ``bbox_head``.

        Returns:
            BEVGrid | None: cell ``voxel_size[:2] * out_size_factor``; None when the head does not
            state a complete grid (e.g. anchor heads, or no head).
        """
        head = getattr(model, 'pts_bbox_head', None) or getattr(model, 'bbox_head', None)
        if head is None:
            return None
        cfg = getattr(head, 'train_cfg', None)
        cfg = cfg if isinstance(cfg, Mapping) else {}
        coder = getattr(head, 'bbox_coder', None)
        pcr = cfg.get('point_cloud_range', None)
        voxel = cfg.get('voxel_size', None)
        factor = cfg.get('out_size_factor', None)
        if voxel is None:
            voxel = getattr(coder, 'voxel_size', None)
        if factor is None:
            factor = getattr(coder, 'out_size_factor', None)
        if voxel is None or factor is None:
            return None
        if pcr is None or len(pcr) < 4:
            origin = getattr(coder, 'pc_range', None)
            size = cfg.get('grid_size', None)
            if origin is None or size is None:
                return None
            pcr = [origin[0], origin[1], origin[0] + size[0] * voxel[0],
                   origin[1] + size[1] * voxel[1]]
        return cls(pcr, voxel_size=voxel, out_size_factor=factor)

    # ------------------------------------------------------------------ sizes
    @property
    def shape(self) -> Tuple[int, int]:
        """(Y, X): number of rows (y cells) and columns (x cells)."""
        return self.num_y, self.num_x

    @property
    def cell_area(self) -> float:
        """Area of one cell in m^2."""
        return self.cell_x * self.cell_y

    def with_shape(self, shape: Sequence[int]) -> 'BEVGrid':
        """The grid over the same range with another resolution.

        Args:
            shape (Sequence[int]): (Y, X) of the new grid (e.g. a coarser backbone level).

        Returns:
            BEVGrid: a grid with cell ``((x_max - x_min) / X, (y_max - y_min) / Y)``.
        """
        num_y, num_x = int(shape[0]), int(shape[1])
        if (num_y, num_x) == self.shape:
            return self
        return BEVGrid([self.x_min, self.y_min, self.x_max, self.y_max],
                       cell_size=((self.x_max - self.x_min) / num_x,
                                  (self.y_max - self.y_min) / num_y))

    # ------------------------------------------------------------ conversions
    def world_to_cell(self, xy: Tensor) -> Tensor:
        """Continuous cell coordinates of LiDAR-frame points.

        Args:
            xy (Tensor): (..., 2+) points, last dim (x, y[, ...]) in metres.

        Returns:
            Tensor: (..., 2) ``(u, v)`` = (column, row) in cell units; ``floor`` gives the index.
        """
        u = (xy[..., 0] - self.x_min) / self.cell_x
        v = (xy[..., 1] - self.y_min) / self.cell_y
        return torch.stack([u, v], dim=-1)

    def cell_to_world(self, uv: Tensor) -> Tensor:
        """Inverse of :meth:`world_to_cell` (``(col + 0.5, row + 0.5)`` gives the cell centre).

        Args:
            uv (Tensor): (..., 2) continuous (column, row) cell coordinates.

        Returns:
            Tensor: (..., 2) LiDAR-frame (x, y) in metres.
        """
        x = uv[..., 0] * self.cell_x + self.x_min
        y = uv[..., 1] * self.cell_y + self.y_min
        return torch.stack([x, y], dim=-1)

    def world_to_index(self, xy: Tensor) -> Tensor:
        """Integer cell index of points (no range check, see :meth:`in_range`).

        Args:
            xy (Tensor): (..., 2+) points in metres.

        Returns:
            Tensor: (..., 2) long, (col, row) = (ix, iy).
        """
        return torch.floor(self.world_to_cell(xy)).long()

    def in_range(self, xy: Tensor) -> Tensor:
        """Whether points fall inside the grid (half-open ``[min, max)``).

        Args:
            xy (Tensor): (..., 2+) points in metres.

        Returns:
            Tensor: (...,) bool.
        """
        uv = self.world_to_cell(xy)
        return ((uv[..., 0] >= 0) & (uv[..., 0] < self.num_x) & (uv[..., 1] >= 0)
                & (uv[..., 1] < self.num_y))

    def cell_centers(self,
                     device: Optional[torch.device] = None,
                     dtype: torch.dtype = torch.float32) -> Tensor:
        """LiDAR-frame centres of all cells.

        Args:
            device (torch.device, optional): output device.
            dtype (torch.dtype): output dtype. Defaults to float32.

        Returns:
            Tensor: (Y, X, 2); ``[row, col] = (x, y)`` of that cell's centre.
        """
        xs = self.x_min + (torch.arange(self.num_x, device=device, dtype=dtype) + 0.5) * self.cell_x
        ys = self.y_min + (torch.arange(self.num_y, device=device, dtype=dtype) + 0.5) * self.cell_y
        yy, xx = torch.meshgrid(ys, xs, indexing='ij')
        return torch.stack([xx, yy], dim=-1)

    def world_to_grid_sample(self, xy: Tensor, align_corners: bool = False) -> Tensor:
        """Normalised ``F.grid_sample`` coordinates of points for a ``(B, C, Y, X)`` map.

        ``grid[..., 0]`` indexes the last (x / column) dimension and ``grid[..., 1]`` the row
        (y) dimension, so the output keeps the (x, y) order.

        Args:
            xy (Tensor): (..., 2+) points in metres.
            align_corners (bool): the ``align_corners`` the sampler will use. With ``False``,
                -1 and 1 are the outer edges of the grid; with ``True`` they are the centres of
                the first and last cells.

        Returns:
            Tensor: (..., 2) normalised (x, y) in [-1, 1] for points inside the grid.
        """
        uv = self.world_to_cell(xy)
        if align_corners:
            gx = (uv[..., 0] - 0.5) * 2.0 / max(self.num_x - 1, 1) - 1.0
            gy = (uv[..., 1] - 0.5) * 2.0 / max(self.num_y - 1, 1) - 1.0
        else:
            gx = uv[..., 0] * 2.0 / self.num_x - 1.0
            gy = uv[..., 1] * 2.0 / self.num_y - 1.0
        return torch.stack([gx, gy], dim=-1)

    def same_cells(self, other: 'BEVGrid', tol: float = 1e-4) -> bool:
        """Whether ``other`` has the same x/y range and cell size (within ``tol`` metres)."""
        mine = (self.x_min, self.y_min, self.x_max, self.y_max, self.cell_x, self.cell_y)
        theirs = (other.x_min, other.y_min, other.x_max, other.y_max, other.cell_x,
                  other.cell_y)
        return all(abs(a - b) < tol for a, b in zip(mine, theirs))

    def __repr__(self) -> str:
        return (f'BEVGrid(x=[{self.x_min}, {self.x_max}), y=[{self.y_min}, {self.y_max}), '
                f'cell=({self.cell_x}, {self.cell_y}), shape(Y, X)={self.shape})')


def _pair(v: Union[_Number, Sequence[_Number]]) -> Tuple[float, float]:
    if isinstance(v, (int, float)):
        return float(v), float(v)
    v = [float(a) for a in v]
    if len(v) < 2:
        raise ValueError(f'expected a scalar or at least 2 sizes (x, y); got {v}')
    return v[0], v[1]


def build_bev_grid(grid: Union[BEVGrid, Mapping[str, Any]]) -> BEVGrid:
    """A :class:`BEVGrid` from an instance or from its keyword arguments (``type`` optional).

    Args:
        grid (BEVGrid | dict): e.g. ``dict(point_cloud_range=[...], voxel_size=[0.1, 0.1, 0.2],
            out_size_factor=8)``.

    Returns:
        BEVGrid: the grid.
    """
    if isinstance(grid, BEVGrid):
        return grid
    if isinstance(grid, Mapping):
        cfg = dict(grid)
        cfg.pop('type', None)
        return BEVGrid(**cfg)
    raise TypeError(f'grid must be a BEVGrid or a dict of its arguments; got {type(grid)}')


__all__ = ['BEVGrid', 'build_bev_grid']
