# Copyright (c) distillbev contributors. All rights reserved.
# CMKD + UniDistill in the KD benchmark, a tuned candidate of the combination row
# (cmkd-unidistill_bevdepth-r18_centerpoint-pillar04_1xb4-15min_synthetic-nus-bench-3d.py):
# UniDistill's two feature terms scaled by 0.1, the factor of UniDistill's own tuned row; CMKD's
# terms keep their paper weights. At the paper weights the keypoint L1 is the largest term of the
# sum (54 at iteration 80, against 8.3 for the detection heads; CMKD's BEV MSE 17), on the same
# lift-splat BEV as CMKD's BEV MSE. Written before any run of it; on val, seed 0, it was worse than
# the untuned combination (mAP 0.180 against 0.212: the same car AP, half the barrier AP) and is
# rejected, kept as a measured row (docs/student_regime.md, session 16).
_base_ = ['./cmkd-unidistill_bevdepth-r18_centerpoint-pillar04_1xb4-15min_synthetic-nus-bench-3d.py']

unidistill_scale = 0.1
model = dict(
    distill_losses=dict(
        loss_kpt_feature=dict(loss_weight=100.0 * unidistill_scale),
        loss_kpt_relation=dict(loss_weight=40.0 * unidistill_scale)))
