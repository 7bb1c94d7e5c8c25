# Copyright (c) distillbev contributors. All rights reserved.
__version__ = '0.1.0'

# The OpenMMLab window this release is built and tested against. Each bound has a reason:
# see README.md, "Version window".
MMCV_MIN, MMCV_MAX = '2.0.0rc4', '2.2.0'  # mmdet 3.3 / mmdet3d 1.4 assert mmcv < 2.2.0
MMENGINE_MIN, MMENGINE_MAX = '0.8.0', '1.0.0'
MMDET_MIN, MMDET_MAX = '3.0.0', '3.4.0'
MMDET3D_MIN, MMDET3D_MAX = '1.4.0', '1.5.0'
