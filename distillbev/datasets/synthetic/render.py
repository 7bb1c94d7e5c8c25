# Copyright (c) distillbev contributors. All rights reserved.
"""Vectorised ray casting against a :class:`World`: pinhole cameras and a spinning LiDAR.

Rays are tested against every object's parts with the slab method, but only
the rays inside the object's bounding cone (cheap dot-product cull) are
tested. The nearest hit wins (z-buffer), so occlusion and depth cues are exact.
"""
from typing import Dict, Optional, Sequence

import numpy as np

from .world import World, ground_color, ground_intensity

SUN_DIR = np.array([0.35, 0.25, 0.9]) / np.linalg.norm([0.35, 0.25, 0.9])
NO_HIT = -2
GROUND = -1


def rot_z(yaw: float) -> np.ndarray:
    """3x3 rotation about z."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.], [s, c, 0.], [0., 0., 1.]])


def cast_rays(origin: np.ndarray, dirs: np.ndarray, world: World, time: float,
              max_range: float = 200.0) -> Dict[str, np.ndarray]:
    """Cast rays from one origin into the world.

    Args:
        origin (np.ndarray): (3,) ray origin in the world frame.
        dirs (np.ndarray): (N, 3) unit ray directions in the world frame.
        world (World): The scene.
        time (float): Scene time (s) at which objects are placed.
        max_range (float): Hits farther than this are dropped.

    Returns:
        dict: ``t`` (N,) distance to the nearest hit (inf if none), ``obj`` (N,)
        object index (-1 ground, -2 nothing), ``part`` (N,), ``normal`` (N, 3)
        world-frame surface normals, ``full_hits`` list with, per object, the
        number of rays that hit it when ignoring every other object.
    """
    n = dirs.shape[0]
    t_best = np.full(n, np.inf)
    obj = np.full(n, NO_HIT, dtype=np.int64)
    part = np.zeros(n, dtype=np.int64)
    normal = np.zeros((n, 3))
    dz = dirs[:, 2]
    down = dz < -1e-9
    t_g = np.where(down, (world.ground_z - origin[2]) / np.where(down, dz, -1.0), np.inf)
    t_g[t_g <= 0] = np.inf
    g = t_g < max_range
    t_best[g] = t_g[g]
    obj[g] = GROUND
    normal[g] = (0., 0., 1.)
    full_hits = []
    for k, o in enumerate(world.objects):
        c = o.center_at(time)
        rel = c - origin
        dist = np.linalg.norm(rel)
        rad = 0.5 * np.linalg.norm(o.size)
        if dist - rad > max_range:
            full_hits.append(0)
            continue
        if dist <= rad:
            cand = np.arange(n)
        else:
            cos_thr = np.sqrt(max(0.0, 1 - (rad / dist) ** 2))
            cand = np.nonzero(dirs @ (rel / dist) >= cos_thr - 1e-9)[0]
        if cand.size == 0:
            full_hits.append(0)
            continue
        rmat = rot_z(o.yaw)
        o_l = rmat.T @ (origin - c)  # (3,)
        d_l = dirs[cand] @ rmat      # (M, 3) == (R^T d)^T
        with np.errstate(divide='ignore', invalid='ignore'):
            inv = 1.0 / np.where(np.abs(d_l) < 1e-12, 1e-12, d_l)
            lo = o.parts[None, :, :3]
            hi = o.parts[None, :, 3:]
            t1 = (lo - o_l) * inv[:, None, :]  # (M, P, 3)
            t2 = (hi - o_l) * inv[:, None, :]
            tnear = np.minimum(t1, t2)
            tfar = np.maximum(t1, t2)
            t_in = tnear.max(-1)
            t_out = tfar.min(-1)
        hit = (t_out >= t_in) & (t_in > 1e-6)
        t_in = np.where(hit, t_in, np.inf)
        best_p = t_in.argmin(-1)
        t_obj = t_in[np.arange(len(cand)), best_p]
        ok = np.isfinite(t_obj) & (t_obj < max_range)
        full_hits.append(int(ok.sum()))
        closer = ok & (t_obj < t_best[cand])
        idx = cand[closer]
        if idx.size == 0:
            continue
        t_best[idx] = t_obj[closer]
        obj[idx] = k
        part[idx] = best_p[closer]
        tn = tnear[closer, best_p[closer]]  # (K, 3)
        axis = tn.argmax(-1)
        n_l = np.zeros((idx.size, 3))
        n_l[np.arange(idx.size), axis] = -np.sign(d_l[closer, axis])
        normal[idx] = n_l @ rmat.T
    return dict(t=t_best, obj=obj, part=part, normal=normal, full_hits=full_hits)


def shade(origin: np.ndarray, dirs: np.ndarray, hits: Dict[str, np.ndarray],
          world: World) -> np.ndarray:
    """Colours (N, 3) in 0..1 of the rays cast by :func:`cast_rays`."""
    n = dirs.shape[0]
    col = np.empty((n, 3))
    # sky gradient
    el = np.clip(dirs[:, 2], -1, 1)
    sky = np.stack([0.55 - 0.3 * el, 0.7 - 0.25 * el, 0.95 - 0.05 * el], -1)
    col[:] = np.clip(sky, 0, 1)
    obj, t = hits['obj'], hits['t']
    lam = np.clip(hits['normal'] @ SUN_DIR, 0, 1)
    g = obj == GROUND
    if g.any():
        p = origin + dirs[g] * t[g, None]
        gc = ground_color(p[:, 0], p[:, 1], world.road_origin, world.road_yaw)
        fog = np.clip((t[g] - 60.0) / 140.0, 0, 1)[:, None]
        col[g] = gc * (0.55 + 0.45 * lam[g, None]) * (1 - fog) + fog * np.array([0.7, 0.75, 0.8])
    for k in np.unique(obj[obj >= 0]):
        m = obj == k
        base = world.objects[k].colors[hits['part'][m]]
        col[m] = base * (0.4 + 0.6 * lam[m, None]) + 0.04
    return np.clip(col, 0, 1)


def render_camera(cam2world: np.ndarray, intrinsic: np.ndarray, height: int, width: int,
                  world: World, time: float) -> Dict[str, np.ndarray]:
    """Render a pinhole camera (camera frame: x right, y down, z forward).

    Args:
        cam2world (np.ndarray): (4, 4) camera-to-world transform.
        intrinsic (np.ndarray): (3, 3) pinhole intrinsics.
        height (int): Image height H.
        width (int): Image width W.
        world (World): The scene.
        time (float): Scene time (s).

    Returns:
        dict: ``image`` (H, W, 3) uint8 RGB, ``depth`` (H, W) z-depth (inf for
        sky), ``obj`` (H, W) object index map, ``full_hits`` per-object pixel
        counts without occlusion.
    """
    v, u = np.mgrid[0:height, 0:width]
    pix = np.stack([u.ravel() + 0.5, v.ravel() + 0.5, np.ones(u.size)], 0)
    d_cam = np.linalg.solve(intrinsic, pix).T  # (N, 3)
    d_cam /= np.linalg.norm(d_cam, axis=1, keepdims=True)
    dirs = d_cam @ cam2world[:3, :3].T
    origin = cam2world[:3, 3]
    hits = cast_rays(origin, dirs, world, time)
    col = shade(origin, dirs, hits, world)
    depth = hits['t'] * d_cam[:, 2]
    return dict(image=(col.reshape(height, width, 3) * 255 + 0.5).astype(np.uint8),
                depth=depth.reshape(height, width), obj=hits['obj'].reshape(height, width),
                full_hits=hits['full_hits'])


def lidar_directions(elevations_deg: Sequence[float], azimuth_res_deg: float) -> np.ndarray:
    """Unit directions (B*A, 3) of a spinning LiDAR in its own frame and their ring ids.

    Returns:
        tuple[np.ndarray, np.ndarray]: directions (B*A, 3) and ring index (B*A,).
    """
    el = np.deg2rad(np.asarray(elevations_deg, dtype=np.float64))
    az = np.deg2rad(np.arange(0.0, 360.0, azimuth_res_deg))
    e, a = np.meshgrid(el, az, indexing='ij')
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], -1).reshape(-1, 3)
    ring = np.repeat(np.arange(len(el)), len(az))
    return d, ring


def scan_lidar(lidar2world: np.ndarray, dirs: np.ndarray, ring: np.ndarray, world: World,
               time: float, max_range: float = 70.0, min_range: float = 1.0,
               noise_std: float = 0.01, rng: Optional[np.random.Generator] = None,
               intensity_scale: float = 1.0) -> Dict[str, np.ndarray]:
    """Ray-cast one LiDAR sweep.

    Args:
        lidar2world (np.ndarray): (4, 4) sensor-to-world transform.
        dirs (np.ndarray): (N, 3) unit ray directions in the sensor frame.
        ring (np.ndarray): (N,) beam index of each ray.
        world (World): The scene.
        time (float): Scene time (s).
        max_range (float): Max range (m).
        min_range (float): Min range (m).
        noise_std (float): Range noise (m).
        rng (np.random.Generator, optional): Noise generator.
        intensity_scale (float): Multiplier for intensities (nuScenes 0..255,
            KITTI 0..1).

    Returns:
        dict: ``points`` (M, 3) in the sensor frame, ``intensity`` (M,),
        ``ring`` (M,), ``obj`` (M,) object index (-1 ground).
    """
    rot = lidar2world[:3, :3]
    origin = lidar2world[:3, 3]
    dirs_w = dirs @ rot.T
    hits = cast_rays(origin, dirs_w, world, time, max_range=max_range)
    keep = np.isfinite(hits['t']) & (hits['t'] >= min_range)
    t = hits['t'][keep]
    if noise_std > 0 and rng is not None:
        t = t + rng.normal(0.0, noise_std, t.shape)
    pts = dirs[keep] * t[:, None]
    obj = hits['obj'][keep]
    inten = np.empty(t.shape)
    g = obj == GROUND
    pw = origin + dirs_w[keep][g] * hits['t'][keep][g, None]
    inten[g] = ground_intensity(pw[:, 0], pw[:, 1], world.road_origin, world.road_yaw)
    for k in np.unique(obj[obj >= 0]):
        m = obj == k
        inten[m] = world.objects[k].intensity
    # grazing incidence returns less energy
    cosang = np.abs(np.sum(hits['normal'][keep] * dirs_w[keep], -1))
    inten = inten * (0.5 + 0.5 * cosang) * intensity_scale
    return dict(points=pts, intensity=inten, ring=ring[keep], obj=obj)
