# Copyright (c) distillbev contributors. All rights reserved.
"""LiDAR depth images in a camera (the depth-image teachers of MonoDistill and MonoMMKD).

The depth image of a frame is its LiDAR points projected into the camera: each pixel holds the
depth (metres along the camera's optical axis) of the nearest point that falls on it, 0 where no
point does. The files are **not densified**: the teacher sees the sparse scan as the camera
would, unless ``LoadKittiDepthImage(complete=True)`` fills the holes at load time with
:func:`complete_depth`, a classical morphological depth completion in the spirit of IP-Basic
(Ku et al., "In Defense of Classical Image Processing: Fast Depth Completion on the CPU", CRV
2018). MonoDistill's released teacher reads dense maps (CaDDN's precomputed ``depth_2``), so the
monocular CPU-regime configs complete the generated sparse maps. On disk the layout is the one
users know from the CaDDN / MonoDistill releases: ``training/depth_2/<frame>.png``, uint16,
metres x 256 (0 = no depth).
"""
import os.path as osp
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet3d.registry import TRANSFORMS

DEPTH_PNG_SCALE = 256.0


def lidar_depth_image(points: np.ndarray, lidar2img: np.ndarray, height: int, width: int,
                      min_depth: float = 0.1) -> np.ndarray:
    """Project LiDAR points into an (H, W) depth image (nearest point per pixel, 0 elsewhere).

    Args:
        points (np.ndarray): (N, >=3) points in the LiDAR frame.
        lidar2img (np.ndarray): (3|4, 4) LiDAR -> image matrix (``u d, v d, d``).
        height (int): image height.
        width (int): image width.
        min_depth (float): points nearer than this (or behind the camera) are dropped.

    Returns:
        np.ndarray: (H, W) float32 depths in metres; a point lands on pixel
        ``(floor(v), floor(u))``.
    """
    homo = np.concatenate([points[:, :3], np.ones((len(points), 1))], axis=1).astype(np.float64)
    cam = homo @ np.asarray(lidar2img, dtype=np.float64)[:3].T
    depth = cam[:, 2]
    keep = depth > min_depth
    u = np.floor(cam[keep, 0] / depth[keep]).astype(np.int64)
    v = np.floor(cam[keep, 1] / depth[keep]).astype(np.int64)
    d = depth[keep]
    inside = (u >= 0) & (u < width) & (v >= 0) & (v < height)
    u, v, d = u[inside], v[inside], d[inside]
    out = np.zeros((height, width), np.float32)
    order = np.argsort(-d)  # far first, so the nearest point is written last
    out[v[order], u[order]] = d[order]
    return out


def complete_depth(depth: np.ndarray, max_depth: float = 100.0,
                   fill_kernel: int = 31) -> np.ndarray:
    """Fill the holes of a sparse LiDAR depth image (nearest surface wins), keeping it empty
    above the highest measured pixel of the neighbouring columns (no LiDAR return there).

    The depths are inverted (``max_depth - d``) so that grey dilation spreads the nearest
    surface; then a 5x5 diamond dilation, a 5x5 closing, a 7x7 dilation of the remaining empty
    pixels, a ``fill_kernel`` dilation of the holes below each column's top measurement, a 5x5
    median and a 5x5 Gaussian blur of the filled pixels.

    Args:
        depth (np.ndarray): (H, W) float32 metres, 0 = no depth.
        max_depth (float): depths are inverted against this value; larger depths are clipped.
        fill_kernel (int): size of the last hole-filling dilation (odd).

    Returns:
        np.ndarray: (H, W) float32 metres, 0 where nothing was filled.
    """
    depth = np.asarray(depth, np.float32)
    valid = depth > 0.1
    inv = np.where(valid, max_depth - np.minimum(depth, max_depth - 0.2), 0).astype(np.float32)
    diamond = np.array([[0, 0, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 0],
                        [0, 0, 1, 0, 0]], np.uint8)
    inv = cv2.dilate(inv, diamond)
    inv = cv2.morphologyEx(inv, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    empty = inv < 0.1
    inv[empty] = cv2.dilate(inv, np.ones((7, 7), np.uint8))[empty]
    has = valid.any(0)
    top = np.where(has, valid.argmax(0), depth.shape[0]).astype(np.float32)
    # first measured row per column, the smallest over fill_kernel neighbouring columns (LiDAR
    # returns fall on every few columns only)
    top = cv2.erode(top[None], np.ones((1, fill_kernel), np.uint8),
                    borderType=cv2.BORDER_REPLICATE)[0]
    below = np.arange(depth.shape[0])[:, None] >= top[None, :]
    holes = (inv < 0.1) & below
    inv[holes] = cv2.dilate(inv, np.ones((fill_kernel, fill_kernel), np.uint8))[holes]
    inv = cv2.medianBlur(inv, 5)
    filled = inv > 0.1
    blurred = cv2.GaussianBlur(inv, (5, 5), 0)
    inv[filled] = blurred[filled]
    inv[~below] = 0
    return np.where(inv > 0.1, max_depth - inv, 0).astype(np.float32)


def write_depth_png(path: str, depth: np.ndarray) -> None:
    """Write metres as uint16 ``round(depth * 256)`` (0 = no depth)."""
    png = np.clip(np.round(depth * DEPTH_PNG_SCALE), 0, 65535).astype(np.uint16)
    if not cv2.imwrite(path, png):
        raise IOError(f'could not write {path}')


def read_depth_png(path: str) -> np.ndarray:
    """Read a ``depth_2`` PNG back into metres (float32)."""
    png = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if png is None:
        raise FileNotFoundError(f'depth image {path} is missing or unreadable')
    return png.astype(np.float32) / DEPTH_PNG_SCALE


@TRANSFORMS.register_module()
class LoadKittiDepthImage(BaseTransform):
    """Put CAM2's LiDAR depth image in ``results['depth_img']`` ((H, W) float32, metres).

    Reads ``<root>/training/depth_2/<frame>.png`` next to the frame's ``image_2`` file when it
    exists (the generated data and the CaDDN/MonoDistill release); otherwise, as on a real
    KITTI download with ``velodyne/`` only, builds the same image from ``results['points']``
    (load the points first, before any augmentation) and CAM2's ``lidar2img``.

    Args:
        from_file (bool): read ``depth_2`` when present. Defaults to True.
        cam (str): the camera. Defaults to 'CAM2'.
        complete (bool): fill the sparse image's holes with :func:`complete_depth` (for sparse
            ``depth_2`` files or images built from ``velodyne/``; CaDDN's released maps are
            dense already). Defaults to False.
    """

    def __init__(self, from_file: bool = True, cam: str = 'CAM2', complete: bool = False) -> None:
        self.from_file, self.cam, self.complete = from_file, cam, complete

    def _png_path(self, results: dict) -> Optional[str]:
        img = results['images'][self.cam].get('img_path')
        if not img:
            return None
        folder, name = osp.split(img)
        return osp.join(osp.dirname(folder), 'depth_2', osp.splitext(name)[0] + '.png')

    def transform(self, results: dict) -> dict:
        cam = results['images'][self.cam]
        path = self._png_path(results)
        if self.from_file and path and osp.isfile(path):
            results['depth_img'] = self._finish(read_depth_png(path))
            results['depth_img_path'] = path
            return results
        if 'points' not in results:
            raise KeyError(f'LoadKittiDepthImage: no depth image at {path} and no '
                           f'results["points"] to build one; put LoadPointsFromFile before it')
        height, width = cam['height'], cam['width']
        points = results['points']
        xyz = points.tensor[:, :3].numpy() if hasattr(points, 'tensor') else points[:, :3]
        results['depth_img'] = self._finish(
            lidar_depth_image(xyz, np.asarray(cam['lidar2img']), height, width))
        results['depth_img_path'] = None
        return results

    def _finish(self, depth: np.ndarray) -> np.ndarray:
        return complete_depth(depth) if self.complete else depth
