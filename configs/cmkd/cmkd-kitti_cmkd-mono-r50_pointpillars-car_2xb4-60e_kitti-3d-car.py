# Copyright (c) distillbev contributors. All rights reserved.
# CMKD (ECCV 2022), KITTI form, real scale: the ResNet-50 mono BEV student on the 0.16 m pillar
# grid and the stock mmdet3d PointPillars KITTI car teacher
# (configs/_base_/distillers/cmkd-mono-r50_pointpillars-car_kitti.py), the losses of
# configs/_base_/kd/cmkd.py (cmkd_kitti_*): BEV MSE x4 (CMKD-pp, KITTI train) between the
# student's collapsed map and the teacher's pillar scatter (64 ch, 432 x 496; CMKD's pp teacher
# adds a stride-2 layer to reach its 0.32 m student grid, here the student is lifted onto the
# teacher's own grid instead), anchor-head response KD (cls 2.0, loc 2.0, dir 0.4) instead of the
# GT loss, the student's LID focal depth loss (weight 1.0, as CMKD-pp) kept, and the teacher's
# SECOND, SECONDFPN and Anchor3DHead copied into the student. CMKD's two stages (stage 1: BEV +
# depth losses, 60 epochs at lr 2e-3; stage 2: + response KD, 20 epochs at lr 2e-4 from the
# stage-1 weights, 2 GPUs x 4) run here as one 60-epoch stage with every stage-2 loss on the
# stage-1 schedule; for CMKD's stage 2, set load_from to a stage-1 checkpoint, lr 2e-4 and 20
# epochs.
_base_ = [
    '../_base_/distillers/cmkd-mono-r50_pointpillars-car_kitti.py',
    '../_base_/kd/cmkd.py'
]

model = dict(
    student=dict(det_loss_weight=0.0),  # the teacher's responses replace the labels
    student_taps={{_base_.cmkd_kitti_student_taps}},
    teacher_taps={{_base_.cmkd_kitti_teacher_taps}},
    distill_losses={{_base_.cmkd_kitti_distill_losses}},
    inherit_from_teacher={{_base_.cmkd_kitti_inherit_from_teacher}})
