# Copyright (c) distillbev contributors. All rights reserved.
# CMKD's KITTI form in `tools/kd_benchmark.py --dataset kitti_bev`, tuned row: the student's GT
# anchor-head losses kept (det_loss_weight 1.0) beside every CMKD term of the paper-setting config
# it inherits (BEV MSE x4, response KD, depth loss, inheritance). Why: in the paper setting the
# teacher's responses replace the labels, and on seed 0 the student lost 2.4 Car 3D AP R40
# (IoU 0.7) on the held-out split and 10.3 on val, with a worse depth loss (0.130 against the
# baseline's 0.099 at the last iteration) and a direction KD that stayed at 0.064 where the GT
# direction loss reaches 0.023 (docs/cmkd_kitti_regime.md). CMKD's CenterPoint response KD adds
# the GT losses when labels are present; this row does the same for the anchor head. Chosen on
# val only.
_base_ = ['./cmkd-kitti_cmkd-mono-r18_pointpillars-hv032_1xb4-60min_synthetic-kitti-bench-3d-3class.py']

model = dict(student=dict(det_loss_weight=1.0))
