# Copyright (c) distillbev contributors. All rights reserved.
"""Writer of small synthetic datasets in the official nuScenes layout.

``generate_nuscenes`` writes ``<out>/<version>/*.json`` (the 13 devkit tables),
``samples/`` and ``sweeps/`` (six cameras as JPEG, ``LIDAR_TOP`` as
``.pcd.bin`` float32 ``x, y, z, intensity, ring``) and ``maps/``. Scene names
come from nuscenes-devkit's official split lists, so the stock converter and
``DetectionEval`` split them into train / val exactly as real data.
"""
import hashlib
import json
import os
import os.path as osp
import time as _time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from pyquaternion import Quaternion

from .render import lidar_directions, render_camera, rot_z, scan_lidar
from .world import SceneObject, World, make_object

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
VEHICLES = ('car', 'truck', 'trailer', 'bus', 'construction_vehicle')
CLASS_WEIGHTS = {'car': .33, 'pedestrian': .2, 'barrier': .1, 'traffic_cone': .08,
                 'truck': .07, 'bicycle': .05, 'motorcycle': .05, 'bus': .04,
                 'trailer': .04, 'construction_vehicle': .04}
KEYFRAME_DT = 0.5     # 2 Hz samples
LIDAR_DT = 0.05       # 20 Hz LiDAR


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


# --------------------------------------------------------------------------- world
def _tracks(ego_speed: float, rng: np.random.Generator) -> List[dict]:
    """Road-frame tracks: lateral offset v, direction, speed and allowed classes."""
    def lane_speed():
        return 0.0 if rng.random() < 0.2 else float(rng.uniform(3.0, 11.0))
    veh = VEHICLES + ('motorcycle', 'van', 'bicycle')
    tr = [dict(v=-1.75, dir=1, speed=ego_speed, classes=veh, kind='lane', ego=True),
          dict(v=-5.25, dir=1, speed=lane_speed(), classes=veh, kind='lane'),
          dict(v=1.75, dir=-1, speed=lane_speed(), classes=veh, kind='lane'),
          dict(v=5.25, dir=-1, speed=lane_speed(), classes=veh, kind='lane')]
    for side in (-1, 1):
        tr.append(dict(v=8.5 * side, dir=side, speed=0.0, kind='parking',
                       classes=veh + ('barrier', 'traffic_cone')))
        tr.append(dict(v=10.6 * side, dir=int(rng.choice([-1, 1])),
                       speed=float(rng.choice([0.0, rng.uniform(2.0, 5.0)])),
                       classes=('bicycle', 'motorcycle', 'traffic_cone'), kind='bike'))
        for k in range(5):
            tr.append(dict(v=side * (11.6 + 0.9 * k), dir=int(rng.choice([-1, 1])),
                           speed=float(rng.choice([0.0, rng.uniform(0.6, 1.6)])),
                           classes=('pedestrian', 'barrier', 'bicycle'), kind='sidewalk'))
    return tr


def build_world(rng: np.random.Generator, num_objects: int, duration: float,
                classes: Sequence[str] = tuple(CLASS_WEIGHTS),
                u_range: Tuple[float, float] = (-38.0, 38.0),
                road: Optional[Tuple[np.ndarray, float, float]] = None,
                rider_prob: float = 0.3) -> Tuple[World, dict]:
    """Random street scene with an ego path along the road.

    Args:
        rng (np.random.Generator): Generator.
        num_objects (int): Target number of objects (every class in ``classes``
            appears at least once when there is room).
        duration (float): Scene duration (s).
        classes (Sequence[str]): Classes to place.
        u_range (tuple[float, float]): Along-road placement range (m) around
            the ego's mid-scene position.
        road (tuple, optional): ``(road_origin (2,), road_yaw, ego_speed)``;
            random when None.
        rider_prob (float): Probability of a rider on a parked cycle.

    Returns:
        tuple[World, dict]: The world and the ego path (``origin`` (2,),
        ``yaw``, ``speed``, ``v``: lateral offset).
    """
    if road is None:
        road_yaw = float(rng.uniform(-np.pi, np.pi))
        road_origin = rng.uniform(300.0, 1800.0, 2)
        ego_speed = 0.0 if rng.random() < 0.1 else float(rng.uniform(4.0, 9.0))
    else:
        road_origin, road_yaw, ego_speed = np.asarray(road[0], float), road[1], road[2]
    tracks = _tracks(ego_speed, rng)
    occupied = {i: [] for i in range(len(tracks))}
    occupied[0].append((-8.0, 8.0))  # the ego vehicle and a safety gap
    ego_mid = ego_speed * duration / 2
    names = [c for c in classes]
    weights = np.array([CLASS_WEIGHTS.get(c, 0.05) for c in names])
    weights = weights / weights.sum()
    wanted = names + list(rng.choice(names, max(0, num_objects - len(names)), p=weights))
    rot = rot_z(road_yaw)[:2, :2]
    objects: List[SceneObject] = []
    for oi, cls in enumerate(wanted):
        cand = [i for i, t in enumerate(tracks) if cls in t['classes']]
        # one object of every class is placed in the nearer half of the range
        lo, hi = u_range
        if oi < len(names):
            lo, hi = (lo / 2, hi / 2) if lo < 0 else (lo, (lo + hi) / 2)
        for _ in range(40):
            ti = int(rng.choice(cand))
            tr = tracks[ti]
            obj_dir = tr['dir']
            speed = tr['speed']
            if cls in ('barrier', 'traffic_cone') and speed > 0:
                continue
            u_mid = ego_mid + rng.uniform(lo, hi)
            u0 = u_mid - obj_dir * speed * duration / 2
            rider = cls in ('bicycle', 'motorcycle') and (speed > 0 or rng.random() < rider_prob)
            yaw_r = 0.0 if obj_dir > 0 else np.pi
            if cls == 'barrier':
                yaw_r += np.pi / 2  # barriers line the road with their 2.5 m side
            yaw = road_yaw + yaw_r
            proto = make_object(cls, (0.0, 0.0), yaw, speed, rng, with_rider=rider)
            # extent along the road (+ a gap) of the object
            half = 0.5 * (proto.size[1] if cls == 'barrier' else proto.size[0]) + 0.6
            if any(u0 - half < b and u0 + half > a for a, b in occupied[ti]):
                continue
            occupied[ti].append((u0 - half, u0 + half))
            proto.center[:2] = road_origin + rot @ np.array([u0, tr['v']])
            proto.extra.update(track=tr['kind'], moving=speed > 0)
            objects.append(proto)
            break
    ego = dict(origin=road_origin, yaw=road_yaw, speed=ego_speed, v=-1.75)
    return World(objects, road_origin, road_yaw), ego


def ego_pose_at(ego: dict, t: float) -> Tuple[np.ndarray, Quaternion]:
    """Global translation (3,) and rotation of the ego at time ``t``."""
    rot = rot_z(ego['yaw'])[:2, :2]
    xy = ego['origin'] + rot @ np.array([ego['speed'] * t, ego['v']])
    return np.array([xy[0], xy[1], 0.0]), Quaternion(axis=[0, 0, 1], angle=ego['yaw'])


def attribute_of(obj: SceneObject) -> Optional[str]:
    """nuScenes attribute name of an object (None for static movable objects)."""
    if obj.cls in VEHICLES:
        if obj.speed > 0.5:
            return 'vehicle.moving'
        return 'vehicle.parked' if obj.extra.get('track') == 'parking' else 'vehicle.stopped'
    if obj.cls in ('bicycle', 'motorcycle'):
        return 'cycle.with_rider' if obj.extra.get('with_rider') else 'cycle.without_rider'
    if obj.cls == 'pedestrian':
        return 'pedestrian.moving' if obj.speed > 0.3 else 'pedestrian.standing'
    return None


def visibility_token(frac: float) -> str:
    """nuScenes visibility level token of a visible fraction in 0..1."""
    if frac < 0.4:
        return '1'
    if frac < 0.6:
        return '2'
    if frac < 0.8:
        return '3'
    return '4'


def points_in_object(points_world: np.ndarray, obj: SceneObject, t: float) -> np.ndarray:
    """(N,) bool: points inside the object's annotated box at time ``t``."""
    local = (points_world - obj.center_at(t)) @ rot_z(obj.yaw)
    return np.all(np.abs(local) <= obj.size / 2 + 1e-9, axis=1)


# --------------------------------------------------------------------------- writer
class _Tables:
    def __init__(self):
        self.t: Dict[str, list] = {k: [] for k in (
            'category', 'attribute', 'visibility', 'instance', 'sensor', 'calibrated_sensor',
            'ego_pose', 'log', 'scene', 'sample', 'sample_data', 'sample_annotation', 'map')}

    def add(self, table: str, rec: dict) -> dict:
        self.t[table].append(rec)
        return rec

    def dump(self, folder: str):
        os.makedirs(folder, exist_ok=True)
        for k, v in self.t.items():
            with open(osp.join(folder, f'{k}.json'), 'w') as f:
                json.dump(v, f, indent=0)


def _scene_names(version: str, num_scenes: int, val_fraction: float) -> List[str]:
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


def _write_version(out_dir: str, version: str, scene_names: Sequence[str], seed: int,
                   samples_per_scene: int, img_size: Tuple[int, int], num_objects: int,
                   lidar_sweeps: int, cam_sweeps: int, num_beams: int, azimuth_res: float,
                   annotate: bool, annotation_range: float, jpeg_quality: int,
                   scene_offset: int, keep_worlds: bool = False,
                   classes: Optional[Sequence[str]] = None) -> dict:
    height, width = img_size
    tabs = _Tables()
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

    elev = np.linspace(-30.67, 10.67, num_beams)
    ldirs, lring = lidar_directions(elev, azimuth_res)
    cam_k = {c: scaled_intrinsics(CAMERA_RIG[c][2], CAMERA_RIG[c][3], height, width)
             for c in CAMERAS}
    cam2ego = {c: camera_to_ego(c) for c in CAMERAS}
    lidar2ego = pose_matrix(LIDAR_ROTATION, LIDAR_TRANSLATION)
    summary = dict(scenes=[], num_samples=0, num_annotations=0)
    if keep_worlds:
        summary['worlds'] = {}

    for si, scene_name in enumerate(scene_names):
        sidx = scene_offset + si
        rng = np.random.default_rng([seed, sidx])
        duration = (samples_per_scene - 1) * KEYFRAME_DT
        world, ego = build_world(rng, num_objects, duration,
                                 **(dict(classes=tuple(classes)) if classes else {}))
        if keep_worlds:
            summary['worlds'][scene_name] = (world, ego)
        noise_rng = np.random.default_rng([seed, sidx, 1])
        day = 1 + sidx % 28
        logfile = f'n015-2018-07-{day:02d}-11-{sidx % 60:02d}-{(7 * sidx) % 60:02d}+0800'
        log_token = make_token(version, 'log', sidx)
        tabs.add('log', dict(token=log_token, logfile=logfile, vehicle='n015',
                             date_captured=f'2018-07-{day:02d}', location='singapore-onenorth'))
        map_rec['log_tokens'].append(log_token)
        scene_token = make_token(version, 'scene', sidx)
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
            tabs.add('calibrated_sensor', dict(token=calib_tok[ch], sensor_token=sensor_tok[ch],
                                               **rec))
        t0_us = 1531000000000000 + sidx * 100_000_000
        sample_tokens = [make_token(version, 'sample', sidx, k) for k in range(samples_per_scene)]
        # sensor frames: (time, channel, sample index or None)
        frames = []
        n_l = lidar_sweeps + 1
        for k in range(samples_per_scene):
            tk = k * KEYFRAME_DT
            frames.append((tk, 'LIDAR_TOP', k))
            for c in CAMERAS:
                frames.append((tk, c, k))
            if k + 1 < samples_per_scene:
                for j in range(1, n_l):
                    frames.append((tk + j * KEYFRAME_DT / n_l, 'LIDAR_TOP', None))
                for j in range(1, cam_sweeps + 1):
                    for c in CAMERAS:
                        frames.append((tk + j * KEYFRAME_DT / (cam_sweeps + 1), c, None))
        frames.sort(key=lambda f: (f[0], f[1]))
        last_sd: Dict[str, dict] = {}
        ann_last: Dict[int, dict] = {}
        inst_recs: Dict[int, dict] = {}
        key_lidar: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}
        key_vis: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}
        for fi, (t, ch, k) in enumerate(frames):
            ts = t0_us + int(round(t * 1e6))
            e_t, e_q = ego_pose_at(ego, t)
            ego2global = pose_matrix(e_q, e_t)
            sd_token = make_token(version, 'sd', sidx, fi, ch)
            pose_token = make_token(version, 'pose', sidx, fi, ch)
            tabs.add('ego_pose', dict(token=pose_token, timestamp=ts,
                                      rotation=list(e_q.elements), translation=e_t.tolist()))
            sub = 'samples' if k is not None else 'sweeps'
            if ch == 'LIDAR_TOP':
                sensor2world = ego2global @ lidar2ego
                scan = scan_lidar(sensor2world, ldirs, lring, world, t, max_range=70.0,
                                  noise_std=0.01, rng=noise_rng)
                pts = np.concatenate([scan['points'], scan['intensity'][:, None],
                                      scan['ring'][:, None]], 1).astype(np.float32)
                fname = f'{sub}/{ch}/{logfile}__{ch}__{ts}.pcd.bin'
                pts.tofile(osp.join(out_dir, fname))
                if k is not None:
                    pw = scan['points'] @ sensor2world[:3, :3].T + sensor2world[:3, 3]
                    key_lidar[k] = (pw, scan['obj'])
                fmt, hw = 'pcd', (0, 0)
            else:
                cam2world = ego2global @ cam2ego[ch]
                ren = render_camera(cam2world, cam_k[ch], height, width, world, t)
                fname = f'{sub}/{ch}/{logfile}__{ch}__{ts}.jpg'
                Image.fromarray(ren['image']).save(osp.join(out_dir, fname),
                                                   quality=jpeg_quality)
                if k is not None:
                    vis = np.bincount(ren['obj'][ren['obj'] >= 0].ravel(),
                                      minlength=len(world.objects))
                    full = np.asarray(ren['full_hits'])
                    pv, pf = key_vis.get(k, (0, 0))
                    key_vis[k] = (pv + vis, pf + full)
                fmt, hw = 'jpg', (height, width)
            rec = tabs.add('sample_data', dict(
                token=sd_token, sample_token=sample_tokens[k if k is not None else _prev_key(t)],
                ego_pose_token=pose_token, calibrated_sensor_token=calib_tok[ch], timestamp=ts,
                fileformat=fmt, is_key_frame=k is not None, height=hw[0], width=hw[1],
                filename=fname, prev='', next=''))
            if ch in last_sd:
                last_sd[ch]['next'] = sd_token
                rec['prev'] = last_sd[ch]['token']
            last_sd[ch] = rec
        # samples and annotations
        for k in range(samples_per_scene):
            t = k * KEYFRAME_DT
            tabs.add('sample', dict(
                token=sample_tokens[k], timestamp=t0_us + int(round(t * 1e6)),
                prev=sample_tokens[k - 1] if k > 0 else '',
                next=sample_tokens[k + 1] if k + 1 < samples_per_scene else '',
                scene_token=scene_token))
            if not annotate:
                continue
            e_t, _ = ego_pose_at(ego, t)
            pw, _ = key_lidar[k]
            vis, full = key_vis[k]
            for oi, obj in enumerate(world.objects):
                c = obj.center_at(t)
                if np.linalg.norm(c[:2] - e_t[:2]) > annotation_range:
                    continue
                ann_token = make_token(version, 'ann', sidx, k, oi)
                if oi not in inst_recs:
                    inst_recs[oi] = tabs.add('instance', dict(
                        token=make_token(version, 'instance', sidx, oi),
                        category_token=cat_tok[CATEGORY_NAMES[obj.cls]], nbr_annotations=0,
                        first_annotation_token=ann_token, last_annotation_token=ann_token))
                inst = inst_recs[oi]
                frac = vis[oi] / full[oi] if full[oi] > 0 else 0.0
                attr = attribute_of(obj)
                rec = tabs.add('sample_annotation', dict(
                    token=ann_token, sample_token=sample_tokens[k], instance_token=inst['token'],
                    visibility_token=visibility_token(frac),
                    attribute_tokens=[attr_tok[attr]] if attr else [],
                    translation=c.tolist(), size=[obj.size[1], obj.size[0], obj.size[2]],
                    rotation=list(Quaternion(axis=[0, 0, 1], angle=obj.yaw).elements),
                    prev='', next='',
                    num_lidar_pts=int(points_in_object(pw, obj, t).sum()), num_radar_pts=0))
                if oi in ann_last:
                    ann_last[oi]['next'] = ann_token
                    rec['prev'] = ann_last[oi]['token']
                ann_last[oi] = rec
                inst['nbr_annotations'] += 1
                inst['last_annotation_token'] = ann_token
                summary['num_annotations'] += 1
        tabs.add('scene', dict(token=scene_token, log_token=log_token,
                               nbr_samples=samples_per_scene,
                               first_sample_token=sample_tokens[0],
                               last_sample_token=sample_tokens[-1], name=scene_name,
                               description=f'synthetic street, seed {seed}'))
        summary['scenes'].append(scene_name)
        summary['num_samples'] += samples_per_scene
    tabs.dump(osp.join(out_dir, version))
    return summary


def _prev_key(t: float) -> int:
    return int(np.floor(t / KEYFRAME_DT + 1e-9))


def generate_nuscenes(out_dir: str, num_scenes: int = 10, samples_per_scene: int = 10,
                      seed: int = 0, img_size: Tuple[int, int] = (128, 352),
                      version: str = 'v1.0-trainval', val_fraction: float = 0.3,
                      test_scenes: int = 1, num_objects: int = 24, lidar_sweeps: int = 9,
                      cam_sweeps: int = 0, num_beams: int = 32, azimuth_res: float = 0.5,
                      annotation_range: float = 60.0, jpeg_quality: int = 92,
                      keep_worlds: bool = False,
                      classes: Optional[Sequence[str]] = None) -> dict:
    """Generate a synthetic dataset in the official nuScenes layout.

    Args:
        out_dir (str): Dataset root (``dataroot`` of ``NuScenes``).
        num_scenes (int): Number of annotated scenes.
        samples_per_scene (int): Keyframes (2 Hz) per scene.
        seed (int): Seed; the output is a deterministic function of all args.
        img_size (tuple[int, int]): Camera image (H, W).
        version (str): ``v1.0-trainval`` (scene names from the official
            train/val lists) or ``v1.0-mini`` (mini lists, at most 10 scenes).
        val_fraction (float): Fraction of scenes named from the val list.
        test_scenes (int): Scenes of an un-annotated ``v1.0-test`` version
            written next to a ``v1.0-trainval`` one (the stock
            ``create_data.py nuscenes --version v1.0`` converts both); 0: none.
        num_objects (int): Objects per scene (all ten classes when possible).
        lidar_sweeps (int): LiDAR sweeps (20 Hz) between two keyframes.
        cam_sweeps (int): Non-key camera frames between two keyframes.
        num_beams (int): LiDAR beams, spread over -30.67..10.67 deg.
        azimuth_res (float): LiDAR azimuth step (deg).
        annotation_range (float): Objects farther from the ego (m) are not
            annotated.
        jpeg_quality (int): JPEG quality.
        keep_worlds (bool): Return the generated worlds (``worlds``: scene name
            -> (World, ego path)) for tests and visualisation.
        classes (Sequence[str], optional): Place only objects of these detection
            classes (e.g. a benchmark's class set, so that the devkit evaluates
            exactly those classes); None: all ten, with the default frequencies.

    Returns:
        dict: Summary: ``version``, ``scenes`` (names), ``num_samples``,
        ``num_annotations``, ``seconds`` (and ``worlds``).
    """
    start = _time.time()
    os.makedirs(out_dir, exist_ok=True)
    common = dict(seed=seed, samples_per_scene=samples_per_scene, img_size=tuple(img_size),
                  num_objects=num_objects, lidar_sweeps=lidar_sweeps, cam_sweeps=cam_sweeps,
                  num_beams=num_beams, azimuth_res=azimuth_res,
                  annotation_range=annotation_range, jpeg_quality=jpeg_quality)
    if classes:
        unknown = sorted(set(classes) - set(CLASS_WEIGHTS))
        if unknown:
            raise ValueError(f'unknown classes {unknown}; choose among {sorted(CLASS_WEIGHTS)}')
        common['classes'] = list(classes)
    names = _scene_names(version, num_scenes, val_fraction)
    summary = _write_version(out_dir, version, names, annotate=True, scene_offset=0,
                             keep_worlds=keep_worlds, **common)
    summary['version'] = version
    if test_scenes > 0 and version == 'v1.0-trainval':
        tnames = _scene_names('v1.0-test', test_scenes, 0.0)
        summary['test'] = _write_version(out_dir, 'v1.0-test', tnames, annotate=False,
                                         scene_offset=num_scenes, **common)
    summary['seconds'] = _time.time() - start
    with open(osp.join(out_dir, 'synthetic_meta.json'), 'w') as f:
        json.dump(dict(generator='distillbev.datasets.synthetic.generate_nuscenes',
                       num_scenes=num_scenes, version=version, val_fraction=val_fraction,
                       test_scenes=test_scenes, **common), f, indent=1)
    return summary
