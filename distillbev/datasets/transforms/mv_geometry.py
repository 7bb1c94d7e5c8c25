# Copyright (c) distillbev contributors. All rights reserved.
"""Pure-numpy geometry shared by the multi-view transforms.

Pixel convention (used by every matrix in this package): pixel ``(row, col)`` of an image covers
the continuous square ``[col, col + 1) x [row, row + 1)`` of ``(u, v)``, so its centre is at
``(col + 0.5, row + 0.5)`` and a point ``(u, v)`` falls in pixel ``(floor(v), floor(u))``; the
image spans ``[0, W] x [0, H]`` and a resize by ``s`` is exactly ``(u, v) -> (s u, s v)``. This is
the convention of the synthetic renderer (rays through pixel centres ``(col + 0.5, row + 0.5)``)
and of BEVDet's augmentation matrices (flip ``u -> W - u``). Camera projections
``lidar2img @ [x, y, z, 1]`` give ``(u * d, v * d, d, 1)``, and an image augmentation matrix
``M`` (4x4) maps the column vector ``(u, v, d, 1)`` of the original image to the same vector in the
augmented image (``augmented = M @ original``); depth ``d`` is never changed by image
augmentation. (``cv2.warpAffine`` puts pixel centres at integers; :func:`cv2_affine` converts.)
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from distillbev.utils.geometry import pad_to_4x4


def image_aug_matrix(scale: float,
                     crop: Tuple[float, float],
                     flip: bool,
                     rotate_deg: float,
                     final_size: Tuple[int, int]) -> np.ndarray:
    """4x4 matrix of a BEVDet-style resize -> crop -> flip -> rotate.

    The steps, on pixel coordinates ``(u, v)`` (see the module docstring):

    1. resize: ``(u, v) -> (scale * u, scale * v)``;
    2. crop: ``(u, v) -> (u - crop_x, v - crop_y)``, the output window being
       ``final_size = (H, W)`` pixels starting at ``(crop_x, crop_y)`` of the resized image;
    3. horizontal flip: ``u -> W - u``;
    4. rotation by ``rotate_deg`` degrees about the output centre ``(W / 2, H / 2)``,
       positive = counter-clockwise as displayed (like ``PIL.Image.rotate``), i.e.
       ``u' = cu + cos(a) (u - cu) + sin(a) (v - cv)``,
       ``v' = cv - sin(a) (u - cu) + cos(a) (v - cv)``.

    Args:
        scale (float): Resize factor.
        crop (tuple[float, float]): ``(crop_x, crop_y)`` offset of the crop window in the resized
            image, in pixels (negative values pad).
        flip (bool): Whether to flip horizontally.
        rotate_deg (float): Rotation in degrees (counter-clockwise as displayed).
        final_size (tuple[int, int]): Output size ``(H, W)``.

    Returns:
        np.ndarray: (4, 4) float64 matrix ``M`` with ``augmented = M @ (u, v, d, 1)``.
    """
    height, width = final_size
    resize = np.diag([scale, scale, 1.0, 1.0])
    crop_mat = np.eye(4)
    crop_mat[0, 3] = -crop[0]
    crop_mat[1, 3] = -crop[1]
    flip_mat = np.eye(4)
    if flip:
        flip_mat[0, 0] = -1.0
        flip_mat[0, 3] = float(width)
    angle = np.deg2rad(rotate_deg)
    cos, sin = np.cos(angle), np.sin(angle)
    cu, cv = width / 2.0, height / 2.0
    rot = np.eye(4)
    rot[:2, :2] = [[cos, sin], [-sin, cos]]
    rot[:2, 3] = np.array([cu, cv]) - rot[:2, :2] @ np.array([cu, cv])
    return rot @ flip_mat @ crop_mat @ resize


def cv2_affine(matrix: np.ndarray) -> np.ndarray:
    """The 2x3 ``cv2.warpAffine`` matrix of a 4x4 image augmentation matrix.

    ``cv2`` places pixel centres at integer coordinates, this package at ``+0.5`` (see the module
    docstring), hence ``A_cv2 = T(-0.5) @ M @ T(+0.5)`` on the ``(u, v)`` part.

    Args:
        matrix (np.ndarray): (4, 4) matrix, ``augmented = matrix @ (u, v, d, 1)``.

    Returns:
        np.ndarray: (2, 3) float64 forward (source -> destination) affine for ``cv2.warpAffine``.
    """
    aff = np.eye(3)
    aff[:2] = np.asarray(matrix, dtype=np.float64)[:2][:, [0, 1, 3]]
    shift = np.eye(3)
    shift[:2, 2] = 0.5
    return (np.linalg.inv(shift) @ aff @ shift)[:2]


def project_to_views(points_xyz: np.ndarray,
                     lidar2img: np.ndarray,
                     img_aug_matrix: Optional[np.ndarray] = None,
                     lidar_aug_matrix: Optional[np.ndarray] = None) -> np.ndarray:
    """Project LiDAR points into every (augmented) view.

    Args:
        points_xyz (np.ndarray): (P, 3) points in the *augmented* LiDAR frame.
        lidar2img (np.ndarray): (N, 4, 4) original projections ``cam2img @ lidar2cam``.
        img_aug_matrix (np.ndarray, optional): (N, 4, 4) image augmentation matrices.
            Defaults to identity.
        lidar_aug_matrix (np.ndarray, optional): (4, 4) LiDAR augmentation matrix
            (original -> augmented frame); its inverse is applied first. Defaults to identity.

    Returns:
        np.ndarray: (N, P, 3) float64 ``(u, v, d)`` per view and point: pixel coordinates in the
        augmented image and depth along the camera axis in metres (``d <= 0``: behind the
        camera, ``u, v`` then meaningless).
    """
    pts = np.asarray(points_xyz, dtype=np.float64)
    homo = np.concatenate([pts, np.ones((pts.shape[0], 1))], axis=1).T  # (4, P)
    if lidar_aug_matrix is not None:
        homo = np.linalg.solve(np.asarray(lidar_aug_matrix, dtype=np.float64), homo)
    lidar2img = np.asarray(lidar2img, dtype=np.float64)
    cam = lidar2img @ homo  # (N, 4, P): (u d, v d, d, 1)
    depth = cam[:, 2]
    safe = np.where(np.abs(depth) < 1e-8, 1e-8, depth)
    uvd1 = np.stack([cam[:, 0] / safe, cam[:, 1] / safe, depth, np.ones_like(depth)], axis=1)
    if img_aug_matrix is not None:
        uvd1 = np.asarray(img_aug_matrix, dtype=np.float64) @ uvd1
    return uvd1[:, :3].transpose(0, 2, 1)


def nearest_depth_map(uvd: np.ndarray,
                      img_size: Tuple[int, int],
                      min_depth: float = 1e-3,
                      max_depth: Optional[float] = None) -> np.ndarray:
    """Rasterise projected points into a sparse depth image keeping the nearest point per pixel.

    A point goes to the pixel that contains it: ``(row, col) = (floor(v), floor(u))``.

    Args:
        uvd (np.ndarray): (P, 3) ``(u, v, d)`` of one view.
        img_size (tuple[int, int]): ``(H, W)``.
        min_depth (float): Points with ``d <= min_depth`` are dropped. Defaults to 1e-3.
        max_depth (float, optional): Points with ``d > max_depth`` are dropped. Defaults to None.

    Returns:
        np.ndarray: (H, W) float32 depth in metres, 0 where no point falls.
    """
    height, width = img_size
    depth_map = np.zeros((height, width), dtype=np.float32)
    col = np.floor(uvd[:, 0]).astype(np.int64)
    row = np.floor(uvd[:, 1]).astype(np.int64)
    depth = uvd[:, 2]
    keep = (depth > min_depth) & (col >= 0) & (col < width) & (row >= 0) & (row < height)
    if max_depth is not None:
        keep &= depth <= max_depth
    if not keep.any():
        return depth_map
    flat = row[keep] * width + col[keep]
    depth = depth[keep]
    order = np.lexsort((depth, flat))  # by pixel, then by depth (ascending)
    flat, depth = flat[order], depth[order]
    first = np.ones(flat.shape[0], dtype=bool)
    first[1:] = flat[1:] != flat[:-1]
    depth_map.reshape(-1)[flat[first]] = depth[first]
    return depth_map


def stack_views(mats: Sequence[np.ndarray]) -> np.ndarray:
    """Stack per-view 3x3/4x4 matrices into one (N, 4, 4) float64 array."""
    return np.stack([pad_to_4x4(m) for m in mats], axis=0)
