# Copyright (c) distillbev contributors. All rights reserved.
"""Random street scenes shared by the nuScenes and KITTI generators.

A straight road with four lanes, parking strips, bike lanes and sidewalks; objects of the asked
classes are placed on the tracks that admit them without overlapping, and move at their track's
speed. The ego drives along the road (the nuScenes generator) or stands still (KITTI).
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .render import rot_z
from .world import SceneObject, World, make_object

VEHICLES = ('car', 'truck', 'trailer', 'bus', 'construction_vehicle')
CLASS_WEIGHTS = {'car': .33, 'pedestrian': .2, 'barrier': .1, 'traffic_cone': .08,
                 'truck': .07, 'bicycle': .05, 'motorcycle': .05, 'bus': .04,
                 'trailer': .04, 'construction_vehicle': .04}


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


__all__ = ['VEHICLES', 'CLASS_WEIGHTS', 'build_world']
