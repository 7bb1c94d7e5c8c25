# Copyright (c) distillbev contributors. All rights reserved.
"""Generators of small datasets in the official nuScenes and KITTI on-disk layouts.

The stock mmdet3d converters, datasets and metrics and nuscenes-devkit run on the
output unchanged. Nothing here is registered: the datasets are the stock
``NuScenesDataset`` / ``KittiDataset``; the shipped devkit detection config
(``NUS_DETECTION_CONFIG``) only shortens the evaluation ranges to the generated
scenes and is passed to the stock ``NuScenesMetric`` as ``eval_version``.
"""
import os.path as osp

from .converters import run_kitti_converter, run_nuscenes_converter, stock_tools_dir
from .kitti import generate_kitti
from .nuscenes import generate_nuscenes

#: nuscenes-devkit detection config for the synthetic scenes, as ``eval_version``
#: (absolute path without ``.json``; devkit's ``config_factory`` joins it unchanged).
NUS_DETECTION_CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), 'detection_synthetic')

__all__ = [
    'generate_nuscenes', 'generate_kitti', 'run_nuscenes_converter', 'run_kitti_converter',
    'stock_tools_dir', 'NUS_DETECTION_CONFIG'
]
