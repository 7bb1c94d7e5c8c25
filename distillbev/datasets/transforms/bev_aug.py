# Copyright (c) distillbev contributors. All rights reserved.
"""Global BEV augmentation of points and boxes that records ``lidar_aug_matrix``."""
from typing import Optional, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class GlobalBEVAug3D(BaseTransform):
    """Random rotation about z, scaling and x/y flips of the whole LiDAR scene.

    Applied, in this order, to ``results['points']`` (any ``BasePoints``) and
    ``results['gt_bboxes_3d']`` (``LiDARInstance3DBoxes``, 7 or 9 dims) with the classes' own
    ``rotate`` / ``scale`` / ``flip`` methods, so yaw and velocity follow:

    1. rotation by ``a ~ U(rot_range)`` **radians** about the LiDAR z axis, counter-clockwise
       seen from above (+x towards +y; mmdet3d's convention: ``rotate(a)`` maps
       ``(x, y) -> (x cos a - y sin a, x sin a + y cos a)`` and adds ``a`` to the yaw);
    2. scaling of x, y, z (and box sizes, velocities) by ``s ~ U(scale_range)``;
    3. ``x -> -x`` with probability ``flip_x_prob`` (mmdet3d ``bev_direction='vertical'``);
    4. ``y -> -y`` with probability ``flip_y_prob`` (mmdet3d ``bev_direction='horizontal'``).

    The composition is recorded as ``M = Fy @ Fx @ S @ R`` (4x4, float32) acting on homogeneous
    column vectors of the LiDAR frame (``new = M @ old``) and left-multiplied onto
    ``results['lidar_aug_matrix']`` (identity if absent), so it always maps the original LiDAR
    frame (the one of ``lidar2cam``) to the frame of the points and boxes in ``results``.
    For compatibility with stock tools it also writes ``pcd_rotation`` (the transposed 3x3 rotation
    as a tensor, mmdet3d's ``rot_mat_T``), ``pcd_rotation_angle``, ``pcd_scale_factor``,
    ``pcd_horizontal_flip`` (y flip), ``pcd_vertical_flip`` (x flip) and appends
    ``'R', 'S', 'VF', 'HF'`` to ``transformation_3d_flow``.

    In test mode nothing is changed except that ``lidar_aug_matrix`` is created if absent.

    With ``replay=K`` each sample has K fixed augmentations: every call draws ``k`` uniformly in
    ``[0, K)`` and the parameters come from a generator seeded with ``(replay_seed,
    sample_idx, k)``, so the same ``(sample_idx, k)`` always gives the same augmentation;
    ``k`` is recorded as ``results['bev_aug_id']``. This is what lets the teacher-feature cache
    (``CrossModalDistiller(teacher_cache=...)``) serve augmented samples exactly.

    Args:
        rot_range (tuple[float, float]): Rotation range in radians. Defaults to
            (-0.3927, 0.3927) (BEVDet's +-22.5 degrees).
        scale_range (tuple[float, float]): Scale range. Defaults to (0.95, 1.05).
        flip_x_prob (float): Probability of ``x -> -x``. Defaults to 0.5.
        flip_y_prob (float): Probability of ``y -> -y``. Defaults to 0.5.
        test_mode (bool): No augmentation. Defaults to False.
        replay (int, optional): K fixed augmentations per sample (see above). Defaults to None
            (a fresh draw every call).
        replay_seed (int): seed of the fixed augmentations. Defaults to 0.
    """

    def __init__(self,
                 rot_range: Tuple[float, float] = (-0.3927, 0.3927),
                 scale_range: Tuple[float, float] = (0.95, 1.05),
                 flip_x_prob: float = 0.5,
                 flip_y_prob: float = 0.5,
                 test_mode: bool = False,
                 replay: Optional[int] = None,
                 replay_seed: int = 0) -> None:
        if replay is not None and (not isinstance(replay, int) or replay < 1):
            raise ValueError(f'GlobalBEVAug3D replay must be a positive int or None, got '
                             f'{replay!r}')
        self.replay, self.replay_seed = replay, replay_seed
        self.rot_range = tuple(rot_range)
        self.scale_range = tuple(scale_range)
        self.flip_x_prob = flip_x_prob
        self.flip_y_prob = flip_y_prob
        self.test_mode = test_mode

    def sample_params(self, rng=np.random) -> dict:
        """Draw one augmentation: ``angle`` (rad), ``scale``, ``flip_x``, ``flip_y``."""
        return dict(angle=float(rng.uniform(*self.rot_range)),
                    scale=float(rng.uniform(*self.scale_range)),
                    flip_x=bool(rng.random() < self.flip_x_prob),
                    flip_y=bool(rng.random() < self.flip_y_prob))

    def apply(self, results: dict, angle: float, scale: float, flip_x: bool,
              flip_y: bool) -> dict:
        """Apply a given augmentation to points and boxes and record its matrix.

        Args:
            results (dict): Result dict (``points`` and/or ``gt_bboxes_3d`` optional).
            angle (float): Rotation in radians (see the class docstring).
            scale (float): Scale factor.
            flip_x (bool): Negate x.
            flip_y (bool): Negate y.

        Returns:
            dict: ``results``, augmented.
        """
        points = results.get('points')
        boxes = results.get('gt_bboxes_3d')
        rot_mat_t = None
        if boxes is not None:
            boxes.rotate(angle)
            boxes.scale(scale)
        if points is not None:
            rot_mat_t = points.rotate(angle)
            points.scale(scale)
        if rot_mat_t is None:  # same matrix as mmdet3d's rotation_3d_in_axis about z
            cos, sin = np.cos(angle), np.sin(angle)
            rot_mat_t = torch.tensor([[cos, sin, 0.], [-sin, cos, 0.], [0., 0., 1.]])
        if flip_x:
            for obj in (boxes, points):
                if obj is not None:
                    obj.flip('vertical')
        if flip_y:
            for obj in (boxes, points):
                if obj is not None:
                    obj.flip('horizontal')

        rot = np.eye(4)
        rot[:3, :3] = np.asarray(rot_mat_t.cpu().double()).T  # new = R @ old
        matrix = np.diag([-1.0 if flip_x else 1.0, -1.0 if flip_y else 1.0, 1.0, 1.0])
        matrix = matrix @ np.diag([scale, scale, scale, 1.0]) @ rot
        prev = np.asarray(results.get('lidar_aug_matrix', np.eye(4)), dtype=np.float64)
        results['lidar_aug_matrix'] = (matrix @ prev).astype(np.float32)
        results['pcd_rotation'] = rot_mat_t.float()
        results['pcd_rotation_angle'] = angle
        results['pcd_scale_factor'] = scale
        results['pcd_vertical_flip'] = flip_x
        results['pcd_horizontal_flip'] = flip_y
        results.setdefault('transformation_3d_flow', []).extend(['R', 'S', 'VF', 'HF'])
        return results

    def transform(self, results: dict) -> dict:
        """Augment (train) or only initialise ``lidar_aug_matrix`` (test).

        Args:
            results (dict): Result dict.

        Returns:
            dict: ``results``.
        """
        if self.test_mode:
            if 'lidar_aug_matrix' not in results:
                results['lidar_aug_matrix'] = np.eye(4, dtype=np.float32)
            return results
        given = results.pop('replay_bev_aug_params', None)  # earlier frames (TemporalFrames)
        if given is not None:
            results['bev_aug_params'] = dict(given)
            return self.apply(results, **given)
        if self.replay is None:
            params = self.sample_params()
            results['bev_aug_params'] = params
            return self.apply(results, **params)
        if 'sample_idx' not in results:
            raise KeyError('GlobalBEVAug3D(replay=...) needs results["sample_idx"] (set by '
                           'mmdet3d datasets)')
        k = int(np.random.randint(self.replay))
        rng = np.random.default_rng([self.replay_seed, int(results['sample_idx']), k])
        results['bev_aug_id'] = k
        results['bev_aug_params'] = self.sample_params(rng)
        return self.apply(results, **results['bev_aug_params'])

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(rot_range={self.rot_range}, '
                f'scale_range={self.scale_range}, flip_x_prob={self.flip_x_prob}, '
                f'flip_y_prob={self.flip_y_prob}, test_mode={self.test_mode}, '
                f'replay={self.replay})')
