# Copyright (c) distillbev contributors. All rights reserved.
# CMKD (ECCV 2022), KITTI form, on the generated KITTI-layout data: the ResNet-18 mono BEV student
# and the 0.32 m PointPillars CPU teacher (configs/_base_/distillers/...synthetic-kitti.py), the
# losses of configs/_base_/kd/cmkd.py (cmkd_kitti_*): BEV MSE x4 between the student's collapsed
# map and the teacher's pillar scatter (64 ch, 216 x 248), anchor-head response KD instead of the
# GT loss, the student's LID focal depth loss (weight 1.0) kept, and the teacher's SECOND,
# SECONDFPN and Anchor3DHead copied into the student. CMKD's two stages (stage 1: BEV + depth
# losses, 60 epochs at lr 2e-3; stage 2: + response KD, 20 epochs at lr 2e-4 from the stage-1
# weights) run here as one stage with every stage-2 loss on the student's schedule (one-cycle,
# lr 2e-3, 40 epochs); for CMKD's stage 2, set load_from to a stage-1 checkpoint, lr 2e-4 and
# 20 epochs.
_base_ = [
    '../_base_/distillers/cmkd-mono-r18_pointpillars-hv032_synthetic-kitti.py',
    '../_base_/kd/cmkd.py'
]

model = dict(
    student=dict(det_loss_weight=0.0),  # the teacher's responses replace the labels
    student_taps={{_base_.cmkd_kitti_student_taps}},
    teacher_taps={{_base_.cmkd_kitti_teacher_taps}},
    distill_losses={{_base_.cmkd_kitti_distill_losses}},
    inherit_from_teacher={{_base_.cmkd_kitti_inherit_from_teacher}})
