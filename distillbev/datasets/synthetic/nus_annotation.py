# Copyright (c) distillbev contributors. All rights reserved.
"""Samples and 3D box annotations of the synthetic nuScenes scenes.

Every object within ``annotation_range`` of the ego at a keyframe gets a ``sample_annotation``
(tight box, attribute, visibility level from its visible pixel fraction over the six cameras,
number of LiDAR points inside the box), linked to its previous annotation and to its
``instance``.
"""
from typing import Dict, Optional

import numpy as np
from pyquaternion import Quaternion

from .nus_rendering import KeyLidar, KeyVisibility
from .nus_schema import CATEGORY_NAMES, SceneIds, Tables, VocabTokens, make_token
from .nus_timing import KEYFRAME_DT, ego_pose_at, timestamp_us
from .render import rot_z
from .street import VEHICLES
from .world import SceneObject, World


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


def add_samples(tabs: Tables, scene: SceneIds, t0_us: int, vocab: VocabTokens, world: World,
                ego: dict, key_lidar: KeyLidar, key_vis: KeyVisibility, annotate: bool,
                annotation_range: float) -> int:
    """Add the ``sample`` records of a scene and, if ``annotate``, its annotations.

    Args:
        tabs (Tables): tables of the version.
        scene (SceneIds): identifiers of the scene.
        t0_us (int): timestamp of the first keyframe.
        vocab (VocabTokens): category and attribute tokens.
        world (World): the scene.
        ego (dict): ego path.
        key_lidar (KeyLidar): keyframe LiDAR points (``write_sensor_data``).
        key_vis (KeyVisibility): keyframe pixel counts per object.
        annotate (bool): write annotations (False for the test split).
        annotation_range (float): objects farther from the ego (m) are not annotated.

    Returns:
        int: number of annotations added.
    """
    version, sidx, tokens = scene.version, scene.sidx, scene.sample_tokens
    ann_last: Dict[int, dict] = {}
    inst_recs: Dict[int, dict] = {}
    count = 0
    for k in range(len(tokens)):
        t = k * KEYFRAME_DT
        tabs.add('sample', dict(
            token=tokens[k], timestamp=timestamp_us(t0_us, t),
            prev=tokens[k - 1] if k > 0 else '',
            next=tokens[k + 1] if k + 1 < len(tokens) else '',
            scene_token=scene.scene_token))
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
                    category_token=vocab.category[CATEGORY_NAMES[obj.cls]], nbr_annotations=0,
                    first_annotation_token=ann_token, last_annotation_token=ann_token))
            inst = inst_recs[oi]
            frac = vis[oi] / full[oi] if full[oi] > 0 else 0.0
            attr = attribute_of(obj)
            rec = tabs.add('sample_annotation', dict(
                token=ann_token, sample_token=tokens[k], instance_token=inst['token'],
                visibility_token=visibility_token(frac),
                attribute_tokens=[vocab.attribute[attr]] if attr else [],
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
            count += 1
    return count


__all__ = ['attribute_of', 'visibility_token', 'points_in_object', 'add_samples']
