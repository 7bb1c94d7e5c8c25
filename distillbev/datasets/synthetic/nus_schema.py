# Copyright (c) distillbev contributors. All rights reserved.
"""nuScenes schema of the synthetic generator: the sensor rig, the devkit tables and tokens.

Everything here is static or per scene: the vocabulary tables (category, attribute, visibility,
sensor, map), the log, calibration and scene records, and the deterministic tokens that link
them. Per-frame records are written by ``nus_rendering``, per-sample ones by ``nus_annotation``.
"""
import hashlib
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np
from PIL import Image
from pyquaternion import Quaternion

from .render import rot_z

CAMERAS = ('CAM_FRONT', 'CAM_FRONT_RIGHT', 'CAM_FRONT_LEFT', 'CAM_BACK', 'CAM_BACK_LEFT',
           'CAM_BACK_RIGHT')
# Real-rig mountings (ego frame: x forward, y left, z up): translation, yaw (deg),
# focal length and principal point at 1600x900.
CAMERA_RIG = {
    'CAM_FRONT': ((1.70, 0.016, 1.51), 0.0, 1266.4, (816.3, 491.5)),
    'CAM_FRONT_RIGHT': ((1.55, -0.493, 1.50), -55.0, 1260.8, (807.9, 495.3)),
    'CAM_FRONT_LEFT': ((1.52, 0.495, 1.51), 55.0, 1272.6, (826.6, 479.8)),
    'CAM_BACK': ((0.03, 0.003, 1.58), 180.0, 809.2, (829.2, 481.8)),
    'CAM_BACK_LEFT': ((1.04, 0.485, 1.59), 110.0, 1256.7, (817.8, 451.9)),
    'CAM_BACK_RIGHT': ((1.01, -0.481, 1.56), -110.0, 1259.5, (807.3, 501.2)),
}
LIDAR_TRANSLATION = (0.943, 0.0, 1.84)
# nuScenes LIDAR_TOP: x right, y forward, z up relative to the ego (yaw -90 deg)
LIDAR_ROTATION = Quaternion(axis=[0, 0, 1], angle=-np.pi / 2)

CATEGORY_NAMES = {
    'car': 'vehicle.car', 'truck': 'vehicle.truck', 'trailer': 'vehicle.trailer',
    'bus': 'vehicle.bus.rigid', 'construction_vehicle': 'vehicle.construction',
    'bicycle': 'vehicle.bicycle', 'motorcycle': 'vehicle.motorcycle',
    'pedestrian': 'human.pedestrian.adult', 'traffic_cone': 'movable_object.trafficcone',
    'barrier': 'movable_object.barrier',
}
ALL_CATEGORIES = [
    'animal', 'human.pedestrian.adult', 'human.pedestrian.child',
    'human.pedestrian.construction_worker', 'human.pedestrian.personal_mobility',
    'human.pedestrian.police_officer', 'human.pedestrian.stroller',
    'human.pedestrian.wheelchair', 'movable_object.barrier', 'movable_object.debris',
    'movable_object.pushable_pullable', 'movable_object.trafficcone',
    'static_object.bicycle_rack', 'vehicle.bicycle', 'vehicle.bus.bendy', 'vehicle.bus.rigid',
    'vehicle.car', 'vehicle.construction', 'vehicle.emergency.ambulance',
    'vehicle.emergency.police', 'vehicle.motorcycle', 'vehicle.trailer', 'vehicle.truck',
]
ATTRIBUTES = ['vehicle.moving', 'vehicle.stopped', 'vehicle.parked', 'cycle.with_rider',
              'cycle.without_rider', 'pedestrian.sitting_lying_down', 'pedestrian.standing',
              'pedestrian.moving']
VISIBILITIES = [('1', 'v0-40'), ('2', 'v40-60'), ('3', 'v60-80'), ('4', 'v80-100')]


def make_token(*keys) -> str:
    """Deterministic 32-hex token from arbitrary keys."""
    return hashlib.md5('/'.join(str(k) for k in keys).encode()).hexdigest()


def scaled_intrinsics(focal: float, principal: Tuple[float, float], height: int,
                      width: int) -> np.ndarray:
    """Intrinsics of the 1600x900 rig resized to width ``W`` and cropped/padded to ``H``.

    Pixels stay square: the 1600x900 image is resized by ``W / 1600``; the
    surplus rows are cropped mostly from the top (sky), like BEVDet's crop.
    """
    s = width / 1600.0
    d = 900.0 * s - height
    cy = principal[1] * s - (0.8 * d if d > 0 else 0.5 * d)
    return np.array([[focal * s, 0., principal[0] * s], [0., focal * s, cy], [0., 0., 1.]])


def camera_to_ego(name: str) -> np.ndarray:
    """(4, 4) camera-to-ego transform of a rig camera (camera: x right, y down, z fwd)."""
    trans, yaw, _, _ = CAMERA_RIG[name]
    base = np.array([[0., 0., 1.], [-1., 0., 0.], [0., -1., 0.]])
    mat = np.eye(4)
    mat[:3, :3] = rot_z(np.deg2rad(yaw)) @ base
    mat[:3, 3] = trans
    return mat


def pose_matrix(rotation: Quaternion, translation) -> np.ndarray:
    """(4, 4) homogeneous transform."""
    mat = np.eye(4)
    mat[:3, :3] = rotation.rotation_matrix
    mat[:3, 3] = translation
    return mat


class Tables:
    """The 13 devkit tables of one version, written as ``<table>.json`` lists."""

    def __init__(self) -> None:
        self.t: Dict[str, list] = {k: [] for k in (
            'category', 'attribute', 'visibility', 'instance', 'sensor', 'calibrated_sensor',
            'ego_pose', 'log', 'scene', 'sample', 'sample_data', 'sample_annotation', 'map')}

    def add(self, table: str, rec: dict) -> dict:
        """Append ``rec`` to ``table`` and return it (records are linked after insertion)."""
        self.t[table].append(rec)
        return rec

    def dump(self, folder: str) -> None:
        """Write every table to ``folder/<table>.json``."""
        os.makedirs(folder, exist_ok=True)
        for k, v in self.t.items():
            with open(osp.join(folder, f'{k}.json'), 'w') as f:
                json.dump(v, f, indent=0)


@dataclass
class VocabTokens:
    """Tokens of the static tables: ``category`` (name -> token), ``attribute``, ``sensor``
    (channel -> token), and the ``map`` record (its ``log_tokens`` grow with each log)."""
    category: Dict[str, str]
    attribute: Dict[str, str]
    sensor: Dict[str, str]
    map_rec: dict


def add_vocabulary(tabs: Tables, out_dir: str) -> VocabTokens:
    """Add the category, attribute, visibility, sensor and map tables; write the map image.

    Args:
        tabs (Tables): tables of the version being written.
        out_dir (str): dataset root (``maps/`` and the sensor folders are created there).

    Returns:
        VocabTokens: the tokens the per-scene records refer to.
    """
    cat_tok = {}
    for i, name in enumerate(ALL_CATEGORIES):
        cat_tok[name] = make_token('category', name)
        tabs.add('category', dict(token=cat_tok[name], name=name, description=name,
                                  index=i + 1))
    attr_tok = {a: make_token('attribute', a) for a in ATTRIBUTES}
    for a in ATTRIBUTES:
        tabs.add('attribute', dict(token=attr_tok[a], name=a, description=a))
    for tok, level in VISIBILITIES:
        tabs.add('visibility', dict(token=tok, level=level,
                                    description=f'visibility of whole object is {level}'))
    sensor_tok = {}
    for ch in CAMERAS + ('LIDAR_TOP',):
        sensor_tok[ch] = make_token('sensor', ch)
        tabs.add('sensor', dict(token=sensor_tok[ch], channel=ch,
                                modality='lidar' if ch == 'LIDAR_TOP' else 'camera'))
    map_token = make_token('map', 'synthetic')
    os.makedirs(osp.join(out_dir, 'maps'), exist_ok=True)
    map_file = f'maps/{map_token}.png'
    Image.fromarray(np.full((64, 64), 255, np.uint8)).save(osp.join(out_dir, map_file))
    map_rec = tabs.add('map', dict(token=map_token, log_tokens=[], category='semantic_prior',
                                   filename=map_file))
    for ch in CAMERAS + ('LIDAR_TOP',):
        for sub in ('samples', 'sweeps'):
            os.makedirs(osp.join(out_dir, sub, ch), exist_ok=True)
    return VocabTokens(cat_tok, attr_tok, sensor_tok, map_rec)


@dataclass
class SceneIds:
    """Identifiers of one scene: ``version``, its index ``sidx``, ``logfile`` (file-name
    prefix), ``log_token``, ``scene_token``, ``calib`` (channel -> calibrated-sensor token) and
    ``sample_tokens``."""
    version: str
    sidx: int
    logfile: str
    log_token: str
    scene_token: str
    calib: Dict[str, str]
    sample_tokens: List[str]


def add_scene_header(tabs: Tables, vocab: VocabTokens, version: str, sidx: int,
                     num_samples: int, cam2ego: Dict[str, np.ndarray],
                     cam_k: Dict[str, np.ndarray]) -> SceneIds:
    """Add the log and the calibrated sensors of scene ``sidx``; name its tokens.

    Args:
        tabs (Tables): tables of the version.
        vocab (VocabTokens): static tokens (``add_vocabulary``).
        version (str): devkit version (part of every token).
        sidx (int): global scene index.
        num_samples (int): keyframes of the scene.
        cam2ego (dict): channel -> (4, 4) camera-to-ego transform.
        cam_k (dict): channel -> (3, 3) intrinsics.

    Returns:
        SceneIds: the scene's identifiers.
    """
    day = 1 + sidx % 28
    logfile = f'n015-2018-07-{day:02d}-11-{sidx % 60:02d}-{(7 * sidx) % 60:02d}+0800'
    log_token = make_token(version, 'log', sidx)
    tabs.add('log', dict(token=log_token, logfile=logfile, vehicle='n015',
                         date_captured=f'2018-07-{day:02d}', location='singapore-onenorth'))
    vocab.map_rec['log_tokens'].append(log_token)
    calib_tok = {}
    for ch in CAMERAS + ('LIDAR_TOP',):
        calib_tok[ch] = make_token(version, 'calib', sidx, ch)
        if ch == 'LIDAR_TOP':
            rec = dict(translation=list(LIDAR_TRANSLATION),
                       rotation=list(LIDAR_ROTATION.elements), camera_intrinsic=[])
        else:
            rec = dict(translation=cam2ego[ch][:3, 3].tolist(),
                       rotation=list(Quaternion(matrix=cam2ego[ch][:3, :3]).elements),
                       camera_intrinsic=cam_k[ch].tolist())
        tabs.add('calibrated_sensor', dict(token=calib_tok[ch], sensor_token=vocab.sensor[ch],
                                           **rec))
    return SceneIds(version=version, sidx=sidx, logfile=logfile, log_token=log_token,
                    scene_token=make_token(version, 'scene', sidx), calib=calib_tok,
                    sample_tokens=[make_token(version, 'sample', sidx, k)
                                   for k in range(num_samples)])


def scene_names(version: str, num_scenes: int, val_fraction: float) -> List[str]:
    """Scene names of the official split lists: train names first, then val."""
    from nuscenes.utils import splits
    if version == 'v1.0-mini':
        n_val = min(len(splits.mini_val), max(1, int(round(num_scenes * val_fraction))))
        n_train = num_scenes - n_val
        assert n_train <= len(splits.mini_train), 'v1.0-mini holds at most 10 scenes'
        names = list(splits.mini_train[:n_train]) + list(splits.mini_val[:n_val])
    elif version == 'v1.0-trainval':
        n_val = max(1, int(round(num_scenes * val_fraction))) if num_scenes > 1 else 0
        names = list(splits.train[:num_scenes - n_val]) + list(splits.val[:n_val])
    elif version == 'v1.0-test':
        names = list(splits.test[:num_scenes])
    else:
        raise ValueError(f'unknown version {version}; use v1.0-trainval, v1.0-mini or '
                         'v1.0-test')
    return names


__all__ = ['CAMERAS', 'CAMERA_RIG', 'LIDAR_TRANSLATION', 'LIDAR_ROTATION', 'CATEGORY_NAMES',
           'ALL_CATEGORIES', 'ATTRIBUTES', 'VISIBILITIES', 'make_token', 'scaled_intrinsics',
           'camera_to_ego', 'pose_matrix', 'Tables', 'VocabTokens', 'add_vocabulary', 'SceneIds',
           'add_scene_header', 'scene_names']
