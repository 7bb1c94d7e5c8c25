# Copyright (c) distillbev contributors. All rights reserved.
"""Pictures of features, KD targets and detections (see :mod:`.pictures`, :mod:`.render`)."""
from .pictures import (bev_detections_image, bev_pixel, camera_detections_image,
                       feature_pairs_image, project_corners, target_images)
from .render import batch_pictures

__all__ = [
    'batch_pictures', 'bev_detections_image', 'bev_pixel', 'camera_detections_image',
    'feature_pairs_image', 'project_corners', 'target_images'
]
