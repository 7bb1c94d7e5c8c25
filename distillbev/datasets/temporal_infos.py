# Copyright (c) distillbev contributors. All rights reserved.
"""What temporal students read, added to the standard mmdet3d v2 nuScenes infos.

For every ``data_list`` entry (a key frame, found by its ``token``) :func:`add_temporal_infos`
adds, from nuscenes-devkit's tables:

- ``scene_token``, ``frame_idx`` (0 for a scene's first key frame), ``prev`` / ``next`` (sample
  tokens, ``''`` at the scene's ends);
- ``ego2global`` is already in the v2 infos (the LiDAR key frame's ego pose);
- ``can_bus`` (18 floats, BEVFormer's layout): position (3), orientation quaternion w, x, y, z
  (4), acceleration (3), rotation rate (3), velocity (3), two zeros that the data path fills
  with the patch angle (radians, degrees) when it turns the absolute vector into BEVFormer's
  model input (``TemporalFrames``, :func:`distillbev.datasets.temporal.can_bus_delta`:
  position and angle deltas to the previous frame). From nuScenes' CAN-bus expansion
  (``<root>/can_bus``: the last ``pose`` message at or before the key frame, as BEVFormer's
  converter) when it is there; otherwise, as on the generated data, the **ego-motion
  equivalent** from the LiDAR ``ego_pose`` records: position and orientation of the key frame,
  and velocity, acceleration (in the ego frame, x forward) and yaw rate by central differences
  over the neighbouring LiDAR frames (sweeps included). ``can_bus_source`` says which
  (``'can_bus'`` or ``'ego_pose'``).
"""
import os
import pickle
from typing import Dict, List, Optional, Tuple

import numpy as np
from pyquaternion import Quaternion


def _yaw(q: Quaternion) -> float:
    v = q.rotation_matrix @ np.array([1.0, 0.0, 0.0])
    return float(np.arctan2(v[1], v[0]))


def _pose(nusc, sd_token: str) -> Tuple[float, np.ndarray, Quaternion]:
    sd = nusc.get('sample_data', sd_token)
    ep = nusc.get('ego_pose', sd['ego_pose_token'])
    return sd['timestamp'] * 1e-6, np.asarray(ep['translation'], float), \
        Quaternion(ep['rotation'])


def ego_motion_can_bus(nusc, lidar_sd_token: str) -> np.ndarray:
    """The 18-d CAN-bus equivalent of one LiDAR key frame from the ego poses (see the module
    docstring): central differences over the previous/next LiDAR frames (one-sided at the ends;
    zeros for a frame with no neighbour)."""
    sd = nusc.get('sample_data', lidar_sd_token)
    t, p, q = _pose(nusc, lidar_sd_token)
    prev = _pose(nusc, sd['prev']) if sd['prev'] else None
    nxt = _pose(nusc, sd['next']) if sd['next'] else None
    rot_t = q.rotation_matrix.T  # global -> ego
    vel = acc = np.zeros(3)
    yaw_rate = 0.0
    if prev is not None or nxt is not None:
        a, b = (prev or (t, p, q)), (nxt or (t, p, q))
        dt = b[0] - a[0]
        if dt > 0:
            vel = rot_t @ ((b[1] - a[1]) / dt)
            dyaw = (_yaw(b[2]) - _yaw(a[2]) + np.pi) % (2 * np.pi) - np.pi
            yaw_rate = dyaw / dt
        if prev is not None and nxt is not None:
            dt1, dt2 = t - prev[0], nxt[0] - t
            if dt1 > 0 and dt2 > 0:
                v1, v2 = (p - prev[1]) / dt1, (nxt[1] - p) / dt2
                acc = rot_t @ ((v2 - v1) / ((dt1 + dt2) / 2))
    return np.concatenate([p, list(q), acc, [0.0, 0.0, yaw_rate], vel, [0.0, 0.0]])


def can_bus_from_messages(can_bus_api, scene_name: str, timestamp: int) -> Optional[np.ndarray]:
    """BEVFormer's 18-d vector from the last CAN ``pose`` message at or before ``timestamp``."""
    try:
        poses = can_bus_api.get_messages(scene_name, 'pose')
    except Exception:  # noqa: BLE001  (scenes without CAN data, e.g. the blacklisted ones)
        return None
    if not poses:
        return None
    last = poses[0]
    for pose in poses:
        if pose['utime'] > timestamp:
            break
        last = pose
    return np.concatenate([last['pos'], last['orientation'], last['accel'],
                           last['rotation_rate'], last['vel'], [0.0, 0.0]]).astype(float)


def add_temporal_infos(root: str, version: str, info_paths: List[str],
                       out_suffix: str = '_temporal') -> Dict[str, Dict[str, int]]:
    """Write ``<info>{out_suffix}.pkl`` next to each v2 info file, with the temporal keys.

    Args:
        root (str): nuScenes root (the devkit tables in ``<root>/<version>``).
        version (str): e.g. ``'v1.0-trainval'``.
        info_paths (list[str]): v2 info files (``nuscenes_infos_{train,val}.pkl``).
        out_suffix (str): suffix of the written files (``''`` overwrites in place).

    Returns:
        dict: per written file, the number of entries by ``can_bus_source``.
    """
    from nuscenes import NuScenes
    nusc = NuScenes(version=version, dataroot=root, verbose=False)
    can_api = None
    try:
        from nuscenes.can_bus.can_bus_api import NuScenesCanBus
        can_api = NuScenesCanBus(dataroot=root)
    except Exception:  # noqa: BLE001  (no <root>/can_bus: the expansion is not installed)
        can_api = None
    frame_idx: Dict[str, int] = {}
    for scene in nusc.scene:
        token, i = scene['first_sample_token'], 0
        while token:
            frame_idx[token] = i
            token, i = nusc.get('sample', token)['next'], i + 1
    counts = {}
    for path in info_paths:
        with open(path, 'rb') as f:
            data = pickle.load(f)
        count = {'can_bus': 0, 'ego_pose': 0}
        for info in data['data_list']:
            sample = nusc.get('sample', info['token'])
            scene = nusc.get('scene', sample['scene_token'])
            info.update(scene_token=sample['scene_token'], prev=sample['prev'],
                        next=sample['next'], frame_idx=frame_idx[info['token']])
            can_bus = None if can_api is None else can_bus_from_messages(
                can_api, scene['name'], sample['timestamp'])
            source = 'can_bus'
            if can_bus is None:
                can_bus = ego_motion_can_bus(nusc, sample['data']['LIDAR_TOP'])
                source = 'ego_pose'
            info['can_bus'] = [float(v) for v in can_bus]
            info['can_bus_source'] = source
            count[source] += 1
        out = path[:-4] + out_suffix + '.pkl' if out_suffix else path
        with open(out + '.tmp', 'wb') as f:
            pickle.dump(data, f)
        os.replace(out + '.tmp', out)
        counts[out] = count
    return counts
