# Copyright (c) distillbev contributors. All rights reserved.
"""Bad-sample guard: a loading step fails, or loads garbage, with the file and sample named."""
import logging
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmdet3d.registry import TRANSFORMS
from mmengine.logging import print_log


class BadSampleError(RuntimeError):
    """A sample whose files are missing or broken, or that holds nothing to learn from."""


@TRANSFORMS.register_module()
class BadSampleGuard(BaseTransform):
    """Run the loading transforms of a pipeline and refuse samples they cannot load faithfully.

    A sample is bad when:

    - a file it names is missing: the key-frame LiDAR file, a LiDAR sweep, a camera image;
    - its ``.pcd.bin`` is truncated: the size is not a multiple of ``load_dim`` float32 values
      (``load_dim`` of the wrapped ``LoadPointsFromFile``);
    - a wrapped transform raises (an image that does not decode, a reshape that fails...);
    - fewer than ``min_points_in_range`` LiDAR points fall inside ``point_cloud_range`` (BEV),
      or fewer than ``min_boxes_in_range`` ground-truth boxes do.

    ``on_bad='raise'`` stops with a :class:`BadSampleError` that names the sample (index and
    token), the file and the reason. ``on_bad='skip'`` logs the same message as a warning and
    returns None, so mmengine's dataset draws another sample (training only: in test mode the
    dataset raises on None, so evaluation never silently drops a sample).

    Args:
        transforms (list[dict]): the loading transforms to run (``LoadPointsFromFile``,
            ``LoadPointsFromMultiSweeps``, ``LoadMultiViewImagesWithCalib``, ...).
        on_bad (str): ``'raise'`` (default) or ``'skip'``.
        point_cloud_range (list[float], optional): ``[x0, y0, z0, x1, y1, z1]`` for the in-range
            counts; None disables them.
        min_points_in_range (int): fewer LiDAR points in range make the sample bad. Defaults to
            1.
        min_boxes_in_range (int): fewer GT boxes in range make the sample bad. Defaults to 0
            (scenes without objects are legitimate).
    """

    def __init__(self, transforms: List[dict], on_bad: str = 'raise',
                 point_cloud_range: Optional[Sequence[float]] = None,
                 min_points_in_range: int = 1, min_boxes_in_range: int = 0) -> None:
        if on_bad not in ('raise', 'skip'):
            raise ValueError(f"BadSampleGuard on_bad must be 'raise' or 'skip', got {on_bad!r}")
        self.steps = Compose(transforms)
        self.on_bad = on_bad
        self.pcr = None if point_cloud_range is None else [float(v) for v in point_cloud_range]
        self.min_points, self.min_boxes = int(min_points_in_range), int(min_boxes_in_range)
        self.load_dim = next((t.load_dim for t in self.steps.transforms
                              if type(t).__name__ == 'LoadPointsFromFile'), None)

    def _file_problems(self, results: dict) -> List[str]:
        problems = []
        lidar = (results.get('lidar_points') or {}).get('lidar_path')
        sweeps = [s.get('lidar_points', {}).get('lidar_path')
                  for s in results.get('lidar_sweeps') or []]
        images = [item['img_path'] for item in (results.get('images') or {}).values()
                  if isinstance(item, dict) and item.get('img_path')]
        for kind, paths in (('LiDAR file', [lidar]), ('LiDAR sweep', sweeps),
                            ('camera image', images)):
            for path in paths:
                if path and '://' not in path and not osp.isfile(path):
                    problems.append(f'{kind} {path} is missing')
        if lidar and self.load_dim and osp.isfile(lidar):
            size = os.path.getsize(lidar)
            if size % (4 * self.load_dim):
                problems.append(f'LiDAR file {lidar} is truncated: {size} bytes is not a '
                                f'multiple of {self.load_dim} float32 values per point')
        return problems

    def _content_problems(self, results: dict) -> List[str]:
        if self.pcr is None:
            return []
        x0, y0, _, x1, y1, _ = self.pcr
        problems = []
        points = results.get('points')
        if points is not None and self.min_points > 0:
            xy = np.asarray(points.tensor[:, :2] if hasattr(points, 'tensor') else points[:, :2])
            n = int(((xy[:, 0] >= x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0)
                     & (xy[:, 1] < y1)).sum())
            if n < self.min_points:
                path = (results.get('lidar_points') or {}).get('lidar_path')
                problems.append(f'{n} LiDAR point(s) of {path} in point_cloud_range '
                                f'{self.pcr} (at least {self.min_points} required)')
        boxes = results.get('gt_bboxes_3d')
        if boxes is not None and self.min_boxes > 0:
            n = int(boxes.in_range_bev([x0, y0, x1, y1]).sum())
            if n < self.min_boxes:
                problems.append(f'{n} ground-truth box(es) in point_cloud_range {self.pcr} '
                                f'(at least {self.min_boxes} required)')
        return problems

    def _bad(self, results: dict, problems: List[str]) -> None:
        sample = f"sample {results.get('sample_idx')} (token {results.get('token')})"
        msg = (f'bad {sample}: ' + '; '.join(problems) + '. Fix or remove the file(s), or set '
               "on_bad='skip' in BadSampleGuard to skip such samples with a warning")
        if self.on_bad == 'raise':
            raise BadSampleError(msg)
        print_log('skipped ' + msg, logger='current', level=logging.WARNING)

    def transform(self, results: dict) -> Optional[dict]:
        """Check the files, run the loading steps, check what they loaded.

        Args:
            results (dict): the sample's info (paths joined by the dataset).

        Returns:
            dict | None: the loaded results, or None for a skipped bad sample.
        """
        problems = self._file_problems(results)
        if not problems:
            try:
                out = self.steps(results)
            except Exception as e:  # noqa: BLE001  (any loading failure makes the sample bad)
                problems = [f'{type(e).__name__} while loading: {e}']
            else:
                if out is None:
                    return None
                results = out
                problems = self._content_problems(results)
        if problems:
            self._bad(results, problems)
            return None
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(on_bad={self.on_bad!r}, point_cloud_range={self.pcr}, '
                f'min_points_in_range={self.min_points}, '
                f'min_boxes_in_range={self.min_boxes}, steps={self.steps})')
