# Copyright (c) distillbev contributors. All rights reserved.
"""Pictures of a training batch every N iterations."""
import os.path as osp
from typing import Optional

import cv2
from mmdet3d.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class DistillVisualizationHook(Hook):
    """Every ``interval`` training iterations, draw the current batch's first sample
    (:func:`distillbev.visualization.batch_pictures`: teacher vs student features and KD targets
    for a distiller, detections vs ground truth in BEV and in the cameras) into
    ``<work_dir>/<out_dir>/iter_<N>_<picture>.png``; the pictures also go to TensorBoard (or any
    other image backend) when the config's visualizer has one besides the local backend.

    Args:
        interval (int): iterations between pictures. Defaults to 500.
        out_dir (str): folder under the work directory. Defaults to 'vis'.
        score_thr (float): detections below it are not drawn. Defaults to 0.3.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 500, out_dir: str = 'vis', score_thr: float = 0.3) -> None:
        if interval <= 0:
            raise ValueError(f'DistillVisualizationHook interval must be > 0, got {interval}')
        self.interval, self.out_dir, self.score_thr = interval, out_dir, score_thr

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs=None) -> None:
        if data_batch is None or not self.every_n_train_iters(runner, self.interval):
            return
        from mmengine.dist import is_main_process
        if not is_main_process():
            return
        from ...visualization.render import batch_pictures
        step = runner.iter + 1
        pictures = batch_pictures(runner.model, data_batch,
                                  osp.join(runner.work_dir, self.out_dir), f'iter_{step}',
                                  self.score_thr)
        backends = getattr(runner.visualizer, '_vis_backends', {}) or {}
        if any(type(b).__name__ != 'LocalVisBackend' for b in backends.values()):
            for name, img in pictures.items():
                runner.visualizer.add_image(f'distill/{name}', cv2.cvtColor(img, cv2.COLOR_BGR2RGB),
                                            step=step)
