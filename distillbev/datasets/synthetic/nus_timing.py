# Copyright (c) distillbev contributors. All rights reserved.
"""Timing of the synthetic nuScenes scenes: keyframes, sweeps, timestamps and the ego path.

Keyframes (samples) are 2 Hz; between two keyframes the LiDAR writes ``lidar_sweeps`` sweeps and
each camera ``cam_sweeps`` non-key frames, evenly spaced. Timestamps are microseconds from a
per-scene start, as in the devkit tables.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
from pyquaternion import Quaternion

from .render import rot_z

KEYFRAME_DT = 0.5     # 2 Hz samples
LIDAR_DT = 0.05       # 20 Hz LiDAR

#: A sensor frame: (time in s from the scene start, channel, keyframe index or None for a sweep).
Frame = Tuple[float, str, Optional[int]]


def scene_start_us(sidx: int) -> int:
    """Timestamp (us) of the first keyframe of scene ``sidx`` (scenes 100 s apart)."""
    return 1531000000000000 + sidx * 100_000_000


def timestamp_us(t0_us: int, t: float) -> int:
    """Timestamp (us) of time ``t`` (s) after ``t0_us``."""
    return t0_us + int(round(t * 1e6))


def sensor_frames(samples_per_scene: int, lidar_sweeps: int, cam_sweeps: int,
                  cameras: Sequence[str]) -> List[Frame]:
    """Every sensor frame of a scene, sorted by time, then channel name.

    Args:
        samples_per_scene (int): keyframes.
        lidar_sweeps (int): LiDAR sweeps between two keyframes.
        cam_sweeps (int): non-key frames per camera between two keyframes.
        cameras (Sequence[str]): camera channels.

    Returns:
        list[Frame]: ``(t, channel, k)`` with ``k`` the keyframe index (None for sweeps).
    """
    frames: List[Frame] = []
    n_l = lidar_sweeps + 1
    for k in range(samples_per_scene):
        tk = k * KEYFRAME_DT
        frames.append((tk, 'LIDAR_TOP', k))
        for c in cameras:
            frames.append((tk, c, k))
        if k + 1 < samples_per_scene:
            for j in range(1, n_l):
                frames.append((tk + j * KEYFRAME_DT / n_l, 'LIDAR_TOP', None))
            for j in range(1, cam_sweeps + 1):
                for c in cameras:
                    frames.append((tk + j * KEYFRAME_DT / (cam_sweeps + 1), c, None))
    frames.sort(key=lambda f: (f[0], f[1]))
    return frames


def prev_key(t: float) -> int:
    """Index of the last keyframe at or before time ``t`` (s)."""
    return int(np.floor(t / KEYFRAME_DT + 1e-9))


def ego_pose_at(ego: dict, t: float) -> Tuple[np.ndarray, Quaternion]:
    """Global translation (3,) and rotation of the ego at time ``t``."""
    rot = rot_z(ego['yaw'])[:2, :2]
    xy = ego['origin'] + rot @ np.array([ego['speed'] * t, ego['v']])
    return np.array([xy[0], xy[1], 0.0]), Quaternion(axis=[0, 0, 1], angle=ego['yaw'])


__all__ = ['KEYFRAME_DT', 'LIDAR_DT', 'Frame', 'scene_start_us', 'timestamp_us',
           'sensor_frames', 'prev_key', 'ego_pose_at']
