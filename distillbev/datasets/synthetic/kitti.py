# Copyright (c) distillbev contributors. All rights reserved.
"""Writer of small synthetic datasets in the official KITTI 3D object layout.

``generate_kitti`` writes ``training/{image_2,velodyne,calib,label_2,depth_2}``,
``testing/{image_2,velodyne,calib,depth_2}`` and ``ImageSets/{train,val,trainval,test}.txt``
(``depth_2``: the LiDAR depth image of CAM2, uint16 metres x 256, not densified; see
:mod:`distillbev.datasets.transforms.depth_image`).
The Velodyne frame is the world frame (x forward, y left, z up; ground at
-1.73 m); the rectified camera frame follows KITTI (x right, y down, z forward).
"""
import json
import os
import os.path as osp
import time as _time
from typing import List, Tuple

import numpy as np
from PIL import Image

from ..transforms.depth_image import lidar_depth_image, write_depth_png
from .render import lidar_directions, render_camera, rot_z, scan_lidar
from .street import build_world
from .world import SceneObject

KITTI_NAMES = {'car': 'Car', 'van': 'Van', 'truck': 'Truck', 'pedestrian': 'Pedestrian',
               'bicycle': 'Cyclist'}
KITTI_CLASSES = tuple(KITTI_NAMES)
LIDAR_HEIGHT = 1.73
# KITTI rig at 1242x375: focal, principal point; stereo offsets of P0..P3 (m)
FOCAL, CX, CY = 721.5377, 609.5593, 172.854
CAM_OFFSETS = {0: 0.0, 1: -0.5372, 2: 0.06217, 3: -0.4727}
VELO_TO_CAM_R = np.array([[0., -1., 0.], [0., 0., -1.], [1., 0., 0.]])
VELO_TO_CAM_T = np.array([-0.00407, -0.07632, -0.27178])
IMU_TO_VELO = np.array([[1., 0., 0., -0.8087], [0., 1., 0., 0.3196], [0., 0., 1., -0.7997]])


def kitti_calib(height: int, width: int) -> dict:
    """Calibration matrices of the synthetic KITTI rig for an (H, W) image.

    Returns:
        dict: ``P0..P3`` (3, 4), ``R0_rect`` (3, 3), ``Tr_velo_to_cam`` (3, 4),
        ``Tr_imu_to_velo`` (3, 4), ``K`` (3, 3).
    """
    s = width / 1242.0
    cy = CY * s + (height - 375.0 * s) / 2
    k = np.array([[FOCAL * s, 0., CX * s], [0., FOCAL * s, cy], [0., 0., 1.]])
    out = dict(K=k, R0_rect=np.eye(3), Tr_imu_to_velo=IMU_TO_VELO.copy(),
               Tr_velo_to_cam=np.concatenate([VELO_TO_CAM_R, VELO_TO_CAM_T[:, None]], 1))
    for i, off in CAM_OFFSETS.items():
        out[f'P{i}'] = k @ np.concatenate([np.eye(3), np.array([[off], [0.], [0.]])], 1)
    return out


def kitti_lidar2img(calib: dict) -> np.ndarray:
    """(4, 4) Velodyne -> CAM2 image matrix ``P2 @ R0_rect @ Tr_velo_to_cam``."""
    r0, tr = np.eye(4), np.eye(4)
    r0[:3, :3] = calib['R0_rect']
    tr[:3] = calib['Tr_velo_to_cam']
    p2 = np.eye(4)
    p2[:3] = calib['P2']
    return p2 @ r0 @ tr


def write_calib(path: str, calib: dict):
    """Write a KITTI ``calib/XXXXXX.txt`` file."""
    lines = []
    for key in ('P0', 'P1', 'P2', 'P3', 'R0_rect', 'Tr_velo_to_cam', 'Tr_imu_to_velo'):
        vals = ' '.join(f'{v:.12e}' for v in np.asarray(calib[key]).ravel())
        lines.append(f'{key}: {vals}')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def cam2_to_velo(calib: dict) -> np.ndarray:
    """(4, 4) pose of camera 2 (pixel rays of ``K``) in the Velodyne frame."""
    off = np.array([CAM_OFFSETS[2], 0., 0.])
    mat = np.eye(4)
    mat[:3, :3] = VELO_TO_CAM_R.T
    mat[:3, 3] = VELO_TO_CAM_R.T @ (-off - VELO_TO_CAM_T)
    return mat


def box_corners(obj: SceneObject) -> np.ndarray:
    """(8, 3) corners of an object's box in the world frame."""
    sgn = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
    return obj.center + (sgn * obj.size / 2) @ rot_z(obj.yaw).T


def label_lines(objects: List[SceneObject], calib: dict, height: int, width: int,
                visible: np.ndarray, full: np.ndarray) -> List[str]:
    """KITTI label lines of the objects seen by camera 2.

    Args:
        objects (list[SceneObject]): Objects (world = Velodyne frame).
        calib (dict): Output of :func:`kitti_calib`.
        height (int): Image height.
        width (int): Image width.
        visible (np.ndarray): (K,) visible pixels of each object.
        full (np.ndarray): (K,) pixels of each object without occlusion.

    Returns:
        list[str]: Label lines (objects with no visible pixel are skipped).
    """
    lines = []
    p2 = calib['P2']
    for i, o in enumerate(objects):
        if visible[i] == 0:
            continue
        corners = box_corners(o) @ VELO_TO_CAM_R.T + VELO_TO_CAM_T
        if corners[:, 2].min() < 0.5:
            continue
        uvw = np.concatenate([corners, np.ones((8, 1))], 1) @ p2.T
        uv = uvw[:, :2] / uvw[:, 2:3]
        x1, y1 = uv.min(0)
        x2, y2 = uv.max(0)
        cx1, cy1 = max(x1, 0.), max(y1, 0.)
        cx2, cy2 = min(x2, width - 1.), min(y2, height - 1.)
        if cx2 <= cx1 or cy2 <= cy1:
            continue
        trunc = float(np.clip(1 - (cx2 - cx1) * (cy2 - cy1) / ((x2 - x1) * (y2 - y1)), 0, 1))
        frac = visible[i] / max(full[i], 1)
        occ = 0 if frac >= 0.8 else (1 if frac >= 0.4 else 2)
        l, w, h = o.size
        bottom = o.center - np.array([0., 0., h / 2])
        loc = VELO_TO_CAM_R @ bottom + VELO_TO_CAM_T
        ry = -o.yaw - np.pi / 2
        ry = (ry + np.pi) % (2 * np.pi) - np.pi
        alpha = ry - np.arctan2(loc[0], loc[2])
        alpha = (alpha + np.pi) % (2 * np.pi) - np.pi
        lines.append(
            f'{KITTI_NAMES[o.cls]} {trunc:.2f} {occ} {alpha:.2f} {cx1:.2f} {cy1:.2f} {cx2:.2f} '
            f'{cy2:.2f} {h:.2f} {w:.2f} {l:.2f} {loc[0]:.2f} {loc[1]:.2f} {loc[2]:.2f} '
            f'{ry:.2f}')
    return lines


def generate_kitti(out_dir: str, num_frames: int = 40, seed: int = 0,
                   img_size: Tuple[int, int] = (188, 620), val_fraction: float = 0.5,
                   test_frames: int = 2, num_objects: int = 22, num_beams: int = 64,
                   azimuth_res: float = 0.4) -> dict:
    """Generate a synthetic dataset in the official KITTI 3D object layout.

    Args:
        out_dir (str): Dataset root.
        num_frames (int): Labelled frames in ``training/`` (train + val).
        seed (int): Seed; the output is deterministic.
        img_size (tuple[int, int]): CAM2 image (H, W); the 1242x375 KITTI rig
            is scaled by ``W / 1242`` (use (375, 1242) for full size).
        val_fraction (float): Fraction of frames listed in ``val.txt``.
        test_frames (int): Unlabelled frames in ``testing/``.
        num_objects (int): Objects per frame (Car, Van, Truck, Pedestrian,
            Cyclist), most of them in front of the car.
        num_beams (int): LiDAR beams over -24.8..2.0 deg (HDL-64E).
        azimuth_res (float): LiDAR azimuth step (deg).

    Returns:
        dict: Summary: ``train``, ``val``, ``test`` frame ids, ``num_labels``,
        ``seconds``.
    """
    start = _time.time()
    height, width = img_size
    calib = kitti_calib(height, width)
    c2v = cam2_to_velo(calib)
    ldirs, lring = lidar_directions(np.linspace(-24.8, 2.0, num_beams), azimuth_res)
    n_val = int(round(num_frames * val_fraction))
    ids = list(range(num_frames))
    split = dict(train=ids[:num_frames - n_val], val=ids[num_frames - n_val:],
                 test=list(range(test_frames)))
    num_labels = 0
    for part, frames in (('training', ids), ('testing', split['test'])):
        for sub in ('image_2', 'velodyne', 'calib', 'depth_2') + (
                ('label_2',) if part == 'training' else ()):
            os.makedirs(osp.join(out_dir, part, sub), exist_ok=True)
        for idx in frames:
            rng = np.random.default_rng([seed, 0 if part == 'training' else 1, idx])
            road = (np.array([0.0, 1.75]), 0.0, 0.0)
            world, _ = build_world(rng, num_objects, 0.0, classes=KITTI_CLASSES,
                                   u_range=(8.0, 50.0), road=road, rider_prob=1.0)
            world.ground_z = -LIDAR_HEIGHT
            for o in world.objects:
                o.center[2] -= LIDAR_HEIGHT
            ren = render_camera(c2v, calib['K'], height, width, world, 0.0)
            name = f'{idx:06d}'
            Image.fromarray(ren['image']).save(osp.join(out_dir, part, 'image_2', name + '.png'))
            scan = scan_lidar(np.eye(4), ldirs, lring, world, 0.0, max_range=80.0,
                              noise_std=0.01, rng=rng, intensity_scale=1.0 / 255.0)
            pts = np.concatenate([scan['points'], np.clip(scan['intensity'], 0, 1)[:, None]],
                                 1).astype(np.float32)
            pts.tofile(osp.join(out_dir, part, 'velodyne', name + '.bin'))
            write_depth_png(osp.join(out_dir, part, 'depth_2', name + '.png'),
                            lidar_depth_image(pts, kitti_lidar2img(calib), height, width))
            write_calib(osp.join(out_dir, part, 'calib', name + '.txt'), calib)
            if part == 'training':
                vis = np.bincount(ren['obj'][ren['obj'] >= 0].ravel(),
                                  minlength=len(world.objects))
                lines = label_lines(world.objects, calib, height, width, vis,
                                    np.asarray(ren['full_hits']))
                num_labels += len(lines)
                with open(osp.join(out_dir, part, 'label_2', name + '.txt'), 'w') as f:
                    f.write('\n'.join(lines) + ('\n' if lines else ''))
    os.makedirs(osp.join(out_dir, 'ImageSets'), exist_ok=True)
    sets = dict(split, trainval=split['train'] + split['val'])
    for key, vals in sets.items():
        with open(osp.join(out_dir, 'ImageSets', f'{key}.txt'), 'w') as f:
            f.write(''.join(f'{i:06d}\n' for i in vals))
    summary = dict(split, num_labels=num_labels, seconds=_time.time() - start)
    with open(osp.join(out_dir, 'synthetic_meta.json'), 'w') as f:
        json.dump(dict(generator='distillbev.datasets.synthetic.generate_kitti',
                       num_frames=num_frames, seed=seed, img_size=list(img_size),
                       val_fraction=val_fraction, test_frames=test_frames,
                       num_objects=num_objects, num_beams=num_beams,
                       azimuth_res=azimuth_res), f, indent=1)
    return summary
