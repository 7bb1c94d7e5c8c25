# Copyright (c) distillbev contributors. All rights reserved.
"""Sensor data of the synthetic nuScenes scenes: ray-cast LiDAR sweeps and rendered cameras.

Each frame writes its file (``samples/`` for keyframes, ``sweeps/`` otherwise), an ``ego_pose``
and a ``sample_data`` record linked to the previous frame of its channel. Keyframes also keep
what the annotations need: the LiDAR points in the global frame with the object each hit, and
per camera the visible and full pixel counts of every object.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

import numpy as np
from PIL import Image

from .nus_schema import (CAMERA_RIG, CAMERAS, LIDAR_ROTATION, LIDAR_TRANSLATION, SceneIds, Tables,
                         camera_to_ego, make_token, pose_matrix, scaled_intrinsics)
from .nus_timing import Frame, ego_pose_at, prev_key, timestamp_us
from .render import lidar_directions, render_camera, scan_lidar
from .world import World

#: keyframe -> (global LiDAR points (N, 3), object index per point (N,), -1 for the ground)
KeyLidar = Dict[int, Tuple[np.ndarray, np.ndarray]]
#: keyframe -> (visible pixels per object (M,), unoccluded pixels per object (M,)), all cameras
KeyVisibility = Dict[int, Tuple[np.ndarray, np.ndarray]]


@dataclass
class SensorRig:
    """The simulated rig: image size, LiDAR beam directions and rings, camera intrinsics
    (channel -> (3, 3)), camera-to-ego (channel -> (4, 4)), LiDAR-to-ego (4, 4), JPEG quality."""
    height: int
    width: int
    lidar_dirs: np.ndarray
    lidar_ring: np.ndarray
    cam_k: Dict[str, np.ndarray]
    cam2ego: Dict[str, np.ndarray]
    lidar2ego: np.ndarray
    jpeg_quality: int

    @classmethod
    def build(cls, img_size: Tuple[int, int], num_beams: int, azimuth_res: float,
              jpeg_quality: int) -> 'SensorRig':
        """The nuScenes-like rig at image size (H, W) with ``num_beams`` beams over
        -30.67..10.67 deg every ``azimuth_res`` deg."""
        height, width = img_size
        elev = np.linspace(-30.67, 10.67, num_beams)
        ldirs, lring = lidar_directions(elev, azimuth_res)
        cam_k = {c: scaled_intrinsics(CAMERA_RIG[c][2], CAMERA_RIG[c][3], height, width)
                 for c in CAMERAS}
        cam2ego = {c: camera_to_ego(c) for c in CAMERAS}
        return cls(height, width, ldirs, lring, cam_k, cam2ego,
                   pose_matrix(LIDAR_ROTATION, LIDAR_TRANSLATION), jpeg_quality)


def _write_lidar(out_dir: str, fname: str, sensor2world: np.ndarray, world: World, t: float,
                 rig: SensorRig, noise_rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Scan and write one ``.pcd.bin`` (float32 x, y, z, intensity, ring); return the global
    points (N, 3) and the object index of each (N,)."""
    scan = scan_lidar(sensor2world, rig.lidar_dirs, rig.lidar_ring, world, t, max_range=70.0,
                      noise_std=0.01, rng=noise_rng)
    pts = np.concatenate([scan['points'], scan['intensity'][:, None],
                          scan['ring'][:, None]], 1).astype(np.float32)
    pts.tofile(osp.join(out_dir, fname))
    pw = scan['points'] @ sensor2world[:3, :3].T + sensor2world[:3, 3]
    return pw, scan['obj']


def _write_camera(out_dir: str, fname: str, cam2world: np.ndarray, k: np.ndarray, world: World,
                  t: float, rig: SensorRig) -> Tuple[np.ndarray, np.ndarray]:
    """Render and write one JPEG; return visible (M,) and unoccluded (M,) pixels per object."""
    ren = render_camera(cam2world, k, rig.height, rig.width, world, t)
    Image.fromarray(ren['image']).save(osp.join(out_dir, fname), quality=rig.jpeg_quality)
    vis = np.bincount(ren['obj'][ren['obj'] >= 0].ravel(), minlength=len(world.objects))
    return vis, np.asarray(ren['full_hits'])


def write_sensor_data(tabs: Tables, out_dir: str, scene: SceneIds, frames: Sequence[Frame],
                      t0_us: int, world: World, ego: dict, rig: SensorRig,
                      noise_rng: np.random.Generator) -> Tuple[KeyLidar, KeyVisibility]:
    """Write every frame of a scene and its ``ego_pose`` / ``sample_data`` records.

    Frames are processed in the given order (``noise_rng`` draws the LiDAR noise in that order,
    so the output is a deterministic function of the seed).

    Args:
        tabs (Tables): tables of the version.
        out_dir (str): dataset root.
        scene (SceneIds): identifiers of the scene.
        frames (Sequence[Frame]): ``(t, channel, k)`` sorted (``nus_timing.sensor_frames``).
        t0_us (int): timestamp of the first keyframe.
        world (World): the scene.
        ego (dict): ego path (``build_world``).
        rig (SensorRig): the sensors.
        noise_rng (np.random.Generator): LiDAR range noise.

    Returns:
        tuple[KeyLidar, KeyVisibility]: what the keyframe annotations need.
    """
    last_sd: Dict[str, dict] = {}
    key_lidar: KeyLidar = {}
    key_vis: KeyVisibility = {}
    version, sidx = scene.version, scene.sidx
    for fi, (t, ch, k) in enumerate(frames):
        ts = timestamp_us(t0_us, t)
        e_t, e_q = ego_pose_at(ego, t)
        ego2global = pose_matrix(e_q, e_t)
        sd_token = make_token(version, 'sd', sidx, fi, ch)
        pose_token = make_token(version, 'pose', sidx, fi, ch)
        tabs.add('ego_pose', dict(token=pose_token, timestamp=ts,
                                  rotation=list(e_q.elements), translation=e_t.tolist()))
        sub = 'samples' if k is not None else 'sweeps'
        if ch == 'LIDAR_TOP':
            fname = f'{sub}/{ch}/{scene.logfile}__{ch}__{ts}.pcd.bin'
            hits = _write_lidar(out_dir, fname, ego2global @ rig.lidar2ego, world, t, rig,
                                noise_rng)
            if k is not None:
                key_lidar[k] = hits
            fmt, hw = 'pcd', (0, 0)
        else:
            fname = f'{sub}/{ch}/{scene.logfile}__{ch}__{ts}.jpg'
            vis, full = _write_camera(out_dir, fname, ego2global @ rig.cam2ego[ch],
                                      rig.cam_k[ch], world, t, rig)
            if k is not None:
                pv, pf = key_vis.get(k, (0, 0))
                key_vis[k] = (pv + vis, pf + full)
            fmt, hw = 'jpg', (rig.height, rig.width)
        rec = tabs.add('sample_data', dict(
            token=sd_token, sample_token=scene.sample_tokens[k if k is not None else prev_key(t)],
            ego_pose_token=pose_token, calibrated_sensor_token=scene.calib[ch], timestamp=ts,
            fileformat=fmt, is_key_frame=k is not None, height=hw[0], width=hw[1],
            filename=fname, prev='', next=''))
        if ch in last_sd:
            last_sd[ch]['next'] = sd_token
            rec['prev'] = last_sd[ch]['token']
        last_sd[ch] = rec
    return key_lidar, key_vis


__all__ = ['SensorRig', 'KeyLidar', 'KeyVisibility', 'write_sensor_data']
