# Copyright (c) distillbev contributors. All rights reserved.
"""Writer of small synthetic datasets in the official nuScenes layout.

``generate_nuscenes`` writes ``<out>/<version>/*.json`` (the 13 devkit tables),
``samples/`` and ``sweeps/`` (six cameras as JPEG, ``LIDAR_TOP`` as
``.pcd.bin`` float32 ``x, y, z, intensity, ring``) and ``maps/``. Scene names
come from nuscenes-devkit's official split lists, so the stock converter and
``DetectionEval`` split them into train / val exactly as real data.
"""
import json
import os
import os.path as osp
import time as _time
from typing import Optional, Sequence, Tuple

import numpy as np

from .nus_annotation import add_samples
from .nus_rendering import SensorRig, write_sensor_data
from .nus_schema import (CAMERA_RIG, CAMERAS, LIDAR_ROTATION, LIDAR_TRANSLATION, Tables,
                         add_scene_header, add_vocabulary, camera_to_ego, scaled_intrinsics,
                         scene_names)
from .nus_timing import KEYFRAME_DT, scene_start_us, sensor_frames
from .street import CLASS_WEIGHTS, build_world


def _write_version(out_dir: str, version: str, names: Sequence[str], seed: int,
                   samples_per_scene: int, img_size: Tuple[int, int], num_objects: int,
                   lidar_sweeps: int, cam_sweeps: int, num_beams: int, azimuth_res: float,
                   annotate: bool, annotation_range: float, jpeg_quality: int,
                   scene_offset: int, keep_worlds: bool = False,
                   classes: Optional[Sequence[str]] = None) -> dict:
    """Write one devkit version: its scenes' sensor files and its 13 tables.

    Scene ``sidx = scene_offset + i`` draws its world from ``default_rng([seed, sidx])`` and its
    LiDAR noise from ``default_rng([seed, sidx, 1])``. Arguments as in :func:`generate_nuscenes`.

    Returns:
        dict: ``scenes`` (names), ``num_samples``, ``num_annotations`` (and ``worlds``: scene
        name -> (World, ego path) if ``keep_worlds``).
    """
    tabs = Tables()
    vocab = add_vocabulary(tabs, out_dir)
    rig = SensorRig.build(img_size, num_beams, azimuth_res, jpeg_quality)
    frames = sensor_frames(samples_per_scene, lidar_sweeps, cam_sweeps, CAMERAS)
    summary = dict(scenes=[], num_samples=0, num_annotations=0)
    if keep_worlds:
        summary['worlds'] = {}
    for si, scene_name in enumerate(names):
        sidx = scene_offset + si
        rng = np.random.default_rng([seed, sidx])
        duration = (samples_per_scene - 1) * KEYFRAME_DT
        world, ego = build_world(rng, num_objects, duration,
                                 **(dict(classes=tuple(classes)) if classes else {}))
        if keep_worlds:
            summary['worlds'][scene_name] = (world, ego)
        noise_rng = np.random.default_rng([seed, sidx, 1])
        scene = add_scene_header(tabs, vocab, version, sidx, samples_per_scene, rig.cam2ego,
                                 rig.cam_k)
        t0_us = scene_start_us(sidx)
        key_lidar, key_vis = write_sensor_data(tabs, out_dir, scene, frames, t0_us, world, ego,
                                               rig, noise_rng)
        summary['num_annotations'] += add_samples(tabs, scene, t0_us, vocab, world, ego,
                                                  key_lidar, key_vis, annotate,
                                                  annotation_range)
        tabs.add('scene', dict(token=scene.scene_token, log_token=scene.log_token,
                               nbr_samples=samples_per_scene,
                               first_sample_token=scene.sample_tokens[0],
                               last_sample_token=scene.sample_tokens[-1], name=scene_name,
                               description=f'synthetic street, seed {seed}'))
        summary['scenes'].append(scene_name)
        summary['num_samples'] += samples_per_scene
    tabs.dump(osp.join(out_dir, version))
    return summary


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
    names = scene_names(version, num_scenes, val_fraction)
    summary = _write_version(out_dir, version, names, annotate=True, scene_offset=0,
                             keep_worlds=keep_worlds, **common)
    summary['version'] = version
    if test_scenes > 0 and version == 'v1.0-trainval':
        tnames = scene_names('v1.0-test', test_scenes, 0.0)
        summary['test'] = _write_version(out_dir, 'v1.0-test', tnames, annotate=False,
                                         scene_offset=num_scenes, **common)
    summary['seconds'] = _time.time() - start
    with open(osp.join(out_dir, 'synthetic_meta.json'), 'w') as f:
        json.dump(dict(generator='distillbev.datasets.synthetic.generate_nuscenes',
                       num_scenes=num_scenes, version=version, val_fraction=val_fraction,
                       test_scenes=test_scenes, **common), f, indent=1)
    return summary


__all__ = ['generate_nuscenes', 'CAMERAS', 'CAMERA_RIG', 'LIDAR_TRANSLATION', 'LIDAR_ROTATION',
           'camera_to_ego', 'scaled_intrinsics', 'build_world']
