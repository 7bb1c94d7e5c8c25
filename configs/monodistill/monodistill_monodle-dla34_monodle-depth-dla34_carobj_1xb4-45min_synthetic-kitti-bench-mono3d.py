# Copyright (c) distillbev contributors. All rights reserved.
# MonoDistill in the 900-iteration KITTI CPU regime, candidate tuned row: the object-level feature
# term imitates the teacher inside the Cars' 2D boxes only (label 2 of Pedestrian, Cyclist, Car;
# the response term's windows are Cars' already), every other term and weight as the paper-setting
# config it inherits. Why: with the 1800-iteration teacher the paper setting gains on cars but
# takes the student's cyclists down (held-out Cyclist 2D AP R40 90.6-93.5 -> 47.8-59.8, seeds 0-1,
# docs/kitti_regime.md), where the depth-image teacher is the weaker network (78.4). To be
# decided on val against the paper setting of the same seed.
_base_ = ['./monodistill_monodle-dla34_monodle-depth-dla34_1xb4-45min_synthetic-kitti-bench-mono3d.py']

model = dict(kd_targets=dict(box=dict(class_ids=[2])))
