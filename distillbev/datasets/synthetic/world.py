# Copyright (c) distillbev contributors. All rights reserved.
"""Synthetic worlds: a flat textured ground and moving box-shaped objects.

Every object is a union of axis-aligned parts in its own frame (x along the
length, y along the width, z up, origin at the centre of its bounding box).
The parts span exactly the annotated box, so the annotation is tight. Objects
move with constant velocity along their heading; the world frame has z up and
the ground at ``z = ground_z``.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import numpy as np

# name -> (length, width, height), base colours (RGB 0..1), LiDAR intensity
# Sizes follow the nuScenes per-class mean sizes.
CLASS_SPECS: Dict[str, dict] = {
    'car': dict(size=(4.6, 1.95, 1.7), intensity=60.,
                colors=[(0.75, 0.1, 0.1), (0.1, 0.2, 0.7), (0.75, 0.75, 0.78),
                        (0.9, 0.9, 0.9), (0.15, 0.15, 0.15)]),
    'truck': dict(size=(6.9, 2.5, 2.9), intensity=80.,
                  colors=[(0.2, 0.45, 0.2), (0.85, 0.85, 0.8)]),
    'trailer': dict(size=(10.0, 2.9, 3.6), intensity=70.,
                    colors=[(0.55, 0.55, 0.6)]),
    'bus': dict(size=(11.0, 2.9, 3.4), intensity=75.,
                colors=[(0.9, 0.7, 0.1), (0.8, 0.2, 0.15)]),
    'construction_vehicle': dict(size=(6.0, 2.8, 3.2), intensity=65.,
                                 colors=[(0.95, 0.65, 0.05)]),
    'van': dict(size=(5.1, 2.0, 2.2), intensity=60.,
                colors=[(0.92, 0.92, 0.92), (0.3, 0.35, 0.4)]),
    'bicycle': dict(size=(1.7, 0.6, 1.7), intensity=30.,
                    colors=[(0.1, 0.5, 0.8), (0.6, 0.1, 0.6)]),
    'motorcycle': dict(size=(2.1, 0.8, 1.5), intensity=40.,
                       colors=[(0.05, 0.05, 0.05), (0.6, 0.0, 0.0)]),
    'pedestrian': dict(size=(0.7, 0.65, 1.75), intensity=25.,
                       colors=[(0.9, 0.3, 0.5), (0.3, 0.8, 0.3), (0.2, 0.2, 0.8)]),
    'traffic_cone': dict(size=(0.4, 0.4, 0.75), intensity=120.,
                         colors=[(1.0, 0.4, 0.0)]),
    'barrier': dict(size=(0.5, 2.5, 1.0), intensity=110.,
                    colors=[(0.95, 0.95, 0.95)]),
}


@dataclass
class SceneObject:
    """One rigid object.

    Attributes:
        cls (str): Class key of :data:`CLASS_SPECS` (nuScenes detection name).
        center (np.ndarray): (3,) box centre at time 0 in the world frame.
        yaw (float): Heading (rad) of the length axis, about world z.
        size (np.ndarray): (3,) length, width, height.
        velocity (np.ndarray): (3,) world velocity (m/s).
        parts (np.ndarray): (P, 6) part boxes ``xmin, ymin, zmin, xmax, ymax,
            zmax`` in the object frame.
        colors (np.ndarray): (P, 3) RGB in 0..1 per part.
        intensity (float): LiDAR intensity of the surface.
        extra (dict): Writer-specific data (e.g. rider flag).
    """
    cls: str
    center: np.ndarray
    yaw: float
    size: np.ndarray
    velocity: np.ndarray
    parts: np.ndarray
    colors: np.ndarray
    intensity: float
    extra: dict = field(default_factory=dict)

    def center_at(self, t: float) -> np.ndarray:
        """Box centre (3,) at time ``t`` (s)."""
        return self.center + self.velocity * t

    @property
    def speed(self) -> float:
        return float(np.linalg.norm(self.velocity[:2]))


def _box(x0, y0, z0, x1, y1, z1):
    return [x0, y0, z0, x1, y1, z1]


def make_parts(cls: str, size: np.ndarray, color: np.ndarray, rng: np.random.Generator,
               with_rider: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """Build the part boxes of an object of class ``cls``.

    Args:
        cls (str): Class key.
        size (np.ndarray): (3,) length, width, height of the bounding box.
        color (np.ndarray): (3,) base colour.
        rng (np.random.Generator): Random generator (small colour jitter).
        with_rider (bool): Add a rider on cycles.

    Returns:
        tuple[np.ndarray, np.ndarray]: parts (P, 6) and colours (P, 3). The
        union of the parts spans exactly ``[-size/2, size/2]``.
    """
    l, w, h = (float(v) for v in size)
    hl, hw, hh = l / 2, w / 2, h / 2
    dark = color * 0.35
    glass = np.array([0.15, 0.2, 0.3])
    parts, cols = [], []

    def add(b, c):
        parts.append(b)
        cols.append(np.clip(c, 0, 1))

    if cls == 'car':
        zb = -hh + 0.6 * h
        add(_box(-hl, -hw, -hh, hl, hw, zb), color)           # body
        add(_box(-0.3 * l, -0.45 * w, zb, 0.25 * l, 0.45 * w, hh), dark)  # cabin
    elif cls == 'van':
        add(_box(-hl, -hw, -hh, 0.3 * l, hw, hh), color)
        add(_box(0.3 * l, -hw, -hh, hl, hw, -hh + 0.55 * h), color * 0.9)  # bonnet
        add(_box(0.3 * l, -0.47 * w, -hh + 0.55 * h, 0.42 * l, 0.47 * w, 0.8 * hh), glass)
    elif cls in ('truck', 'construction_vehicle'):
        split = hl - 0.28 * l
        add(_box(split, -hw, -hh, hl, hw, -hh + 0.75 * h), dark + 0.1)  # cab
        add(_box(-hl, -hw, -hh, split - 0.1, hw, hh), color)            # cargo
    elif cls == 'trailer':
        add(_box(-hl, -hw, -hh + 0.25 * h, hl, hw, hh), color)
        add(_box(-hl, -0.4 * w, -hh, -hl + 0.3 * l, 0.4 * w, -hh + 0.25 * h), dark)
    elif cls == 'bus':
        add(_box(-hl, -hw, -hh, hl, hw, -hh + 0.55 * h), color)
        add(_box(-hl, -hw, -hh + 0.55 * h, hl, hw, -hh + 0.85 * h), glass)
        add(_box(-hl, -hw, -hh + 0.85 * h, hl, hw, hh), color)
    elif cls in ('bicycle', 'motorcycle'):
        fh = 0.55 * h if with_rider else h
        add(_box(-hl, -0.3 * w, -hh, hl, 0.3 * w, -hh + fh), color)
        if with_rider:
            add(_box(-0.25 * l, -hw, -hh + fh, 0.1 * l, hw, hh),
                np.array([0.85, 0.75, 0.6]))
        else:  # handlebar spans the width
            add(_box(0.3 * l, -hw, -hh + 0.8 * fh, 0.4 * l, hw, -hh + fh), dark)
    elif cls == 'pedestrian':
        add(_box(-0.3 * l, -0.35 * w, -hh, 0.3 * l, 0.35 * w, -hh + 0.48 * h), dark)  # legs
        add(_box(-hl, -hw, -hh + 0.48 * h, hl, hw, -hh + 0.85 * h), color)  # torso
        add(_box(-0.25 * l, -0.25 * w, -hh + 0.85 * h, 0.25 * l, 0.25 * w, hh),
            np.array([0.9, 0.72, 0.6]))  # head
    elif cls == 'traffic_cone':
        add(_box(-hl, -hw, -hh, hl, hw, -hh + 0.15 * h), dark)
        add(_box(-0.3 * l, -0.3 * w, -hh + 0.15 * h, 0.3 * l, 0.3 * w, -hh + 0.6 * h), color)
        add(_box(-0.15 * l, -0.15 * w, -hh + 0.6 * h, 0.15 * l, 0.15 * w, hh),
            np.array([1.0, 1.0, 1.0]))
    elif cls == 'barrier':
        add(_box(-hl, -hw, -hh, hl, hw, -hh + 0.5 * h), color)
        add(_box(-hl, -hw, -hh + 0.5 * h, hl, hw, hh), np.array([0.85, 0.1, 0.1]))
    else:
        add(_box(-hl, -hw, -hh, hl, hw, hh), color)
    return np.asarray(parts, dtype=np.float64), np.asarray(cols, dtype=np.float64)


def make_object(cls: str, center_xy, yaw: float, speed: float, rng: np.random.Generator,
                ground_z: float = 0.0, with_rider: bool = False,
                size_jitter: float = 0.08) -> SceneObject:
    """Create an object standing on the ground.

    Args:
        cls (str): Class key of :data:`CLASS_SPECS`.
        center_xy (sequence): (2,) world x, y of the box centre at time 0.
        yaw (float): Heading (rad).
        speed (float): Speed along the heading (m/s).
        rng (np.random.Generator): Random generator.
        ground_z (float): Height of the ground in the world frame.
        with_rider (bool): Cycles only: draw a rider.
        size_jitter (float): Relative size jitter.

    Returns:
        SceneObject: The object.
    """
    spec = CLASS_SPECS[cls]
    size = np.asarray(spec['size'], dtype=np.float64)
    size = size * (1 + rng.uniform(-size_jitter, size_jitter, 3))
    color = np.asarray(spec['colors'][rng.integers(len(spec['colors']))], dtype=np.float64)
    color = np.clip(color * rng.uniform(0.85, 1.1), 0, 1)
    parts, cols = make_parts(cls, size, color, rng, with_rider)
    center = np.array([center_xy[0], center_xy[1], ground_z + size[2] / 2])
    vel = np.array([np.cos(yaw), np.sin(yaw), 0.0]) * speed
    return SceneObject(cls, center, float(yaw), size, vel, parts, cols,
                       float(spec['intensity']), dict(with_rider=with_rider))


def ground_color(x: np.ndarray, y: np.ndarray, road_origin: np.ndarray, road_yaw: float,
                 road_half_width: float = 11.0) -> np.ndarray:
    """Procedural ground texture (asphalt, lane marks, kerbs, pavement).

    Args:
        x (np.ndarray): (N,) world x.
        y (np.ndarray): (N,) world y.
        road_origin (np.ndarray): (2,) a point on the road centre line.
        road_yaw (float): Direction of the road.
        road_half_width (float): Half width of the carriageway.

    Returns:
        np.ndarray: (N, 3) RGB in 0..1.
    """
    c, s = np.cos(road_yaw), np.sin(road_yaw)
    dx, dy = x - road_origin[0], y - road_origin[1]
    u = c * dx + s * dy          # along the road
    v = -s * dx + c * dy         # across the road
    # value noise from an integer hash of 0.5 m cells
    ix = np.floor(x * 2).astype(np.int64)
    iy = np.floor(y * 2).astype(np.int64)
    hsh = (ix * 73856093) ^ (iy * 19349663)
    noise = ((hsh % 1000 + 1000) % 1000) / 1000.0
    road = np.abs(v) < road_half_width
    base = np.where(road, 0.32 + 0.08 * noise, 0.55 + 0.12 * noise)
    col = np.stack([base, base, base * 1.02], axis=-1)
    # dashed lane lines every 3.5 m, solid edge lines
    lane = road & (np.abs(np.mod(v + 1.75, 3.5) - 1.75) < 0.08) & (np.mod(u, 6.0) < 3.0) & (
        np.abs(v) > 0.5)
    edge = np.abs(np.abs(v) - (road_half_width - 0.2)) < 0.1
    centre = np.abs(v) < 0.08
    col[lane | edge] = (0.92, 0.92, 0.9)
    col[centre] = (0.9, 0.75, 0.15)
    # pavement tiles
    tiles = (~road) & ((np.mod(u, 2.0) < 0.06) | (np.mod(v, 2.0) < 0.06))
    col[tiles] *= 0.75
    return col


def ground_intensity(x: np.ndarray, y: np.ndarray, road_origin: np.ndarray,
                     road_yaw: float, road_half_width: float = 11.0) -> np.ndarray:
    """LiDAR intensity of the ground (N,): markings are retro-reflective."""
    col = ground_color(x, y, road_origin, road_yaw, road_half_width)
    return 4.0 + 20.0 * col.mean(-1) + 80.0 * (col.min(-1) > 0.85)


@dataclass
class World:
    """A scene: ground plane and objects.

    Attributes:
        objects (list[SceneObject]): Objects.
        road_origin (np.ndarray): (2,) point on the road centre line.
        road_yaw (float): Road direction.
        ground_z (float): Ground height.
    """
    objects: List[SceneObject]
    road_origin: np.ndarray
    road_yaw: float
    ground_z: float = 0.0
