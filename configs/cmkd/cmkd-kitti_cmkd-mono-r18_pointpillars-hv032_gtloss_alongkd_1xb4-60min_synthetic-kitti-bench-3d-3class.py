# Copyright (c) distillbev contributors. All rights reserved.
# CMKD's KITTI form in `tools/kd_benchmark.py --dataset kitti_bev`, third tuned candidate: the GT
# losses kept (the config it inherits) and the anchor-head response KD restricted to the residuals
# where the LiDAR teacher is better than the camera student. Why (docs/cmkd_kitti_regime.md,
# session 13, `tools/box_errors.py` on the held-out split): the teacher places cars 4x better
# along the line of sight (x error 0.13 m against the student's 0.56 m), but worse across it
# (0.126 m against 0.005 m) and reverses 15 % of their headings (the student: 0 %). The tuned
# row's seed 2 and the paper setting took on exactly those two errors (0.09 m across, 8-10 %
# reversed) and lost Car 3D AP. So the box KD keeps x (along the view), z and the sizes, and
# drops y (across the view) and the heading residual (code weights 0), and the direction KD is
# off. The classification KD, the BEV MSE, the depth loss and the inheritance are unchanged.
# Measured on val, seed 0, and rejected: 86.8 Car 3D AP against 90.6 for the student alone.
_base_ = [
    './cmkd-kitti_cmkd-mono-r18_pointpillars-hv032_gtloss_1xb4-60min_synthetic-kitti-bench-3d-3class.py'
]

# residual order of the anchor head's box coder: x, y, z, w, l, h, yaw (LiDAR frame: x forward)
along_view_code_weights = [1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]

model = dict(
    distill_losses=dict(
        loss_head=dict(code_weights=along_view_code_weights, dir_weight=0.0)))
