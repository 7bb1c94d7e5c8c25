# Copyright (c) distillbev contributors. All rights reserved.
# CMKD (ECCV 2022), KITTI form, real scale, STAGE 2 (CMKD's "*_V2.yaml"): the DeepLabV3-R50 /
# SCNet mono BEV student on the 0.16 m pillar grid and the stock mmdet3d PointPillars KITTI car
# teacher (configs/_base_/distillers/cmkd-mono-r50_pointpillars-car_kitti.py), the losses of
# configs/_base_/kd/cmkd.py (cmkd_kitti_*): BEV MSE x4 (CMKD-pp, KITTI train) between the
# student's SCNet output and the teacher's pillar scatter (64 ch, 432 x 496; CMKD's pp teacher
# adds a stride-2 layer to reach its 0.32 m student grid, here the student is lifted onto the
# teacher's own grid instead), anchor-head response KD (cls 2.0, loc 2.0, dir 0.4) instead of the
# GT loss, the student's LID focal depth loss (weight 1.0, as CMKD-pp) kept.
# Initialisation (CMKD: --pretrained_img_model + the LiDAR checkpoint): the student loads the
# stage-1 checkpoint (every student.* tensor, model.student.init_cfg below), then the teacher's
# SECOND, SECONDFPN and Anchor3DHead are copied over its BEV half (inherit_from_teacher, applied
# after the student's init). Schedule: CMKD stage 2 on KITTI train: AdamW one-cycle, lr 2e-4,
# 20 epochs, grad-norm clip 10, 2 GPUs x batch 4. Run stage 1 first:
# configs/cmkd/cmkd-kitti-stage1_cmkd-mono-r50-d8_pointpillars-car_2xb4-60e_kitti-3d-car.py (its
# header gives both commands).
_base_ = [
    '../_base_/distillers/cmkd-mono-r50_pointpillars-car_kitti.py',
    '../_base_/kd/cmkd.py'
]

stage1_checkpoint = ('work_dirs/cmkd-kitti-stage1_cmkd-mono-r50-d8_pointpillars-car_2xb4-60e_'
                     'kitti-3d-car/epoch_60.pth')
model = dict(
    student=dict(
        det_loss_weight=0.0,  # the teacher's responses replace the labels
        # the whole stage-1 student; the BEV half is then re-copied from the teacher
        init_cfg=dict(type='Pretrained', checkpoint=stage1_checkpoint, prefix='student.'),
        img_backbone=dict(init_cfg=None)),  # (the DeepLabV3 weights come with stage 1)
    student_taps={{_base_.cmkd_kitti_student_taps}},
    teacher_taps={{_base_.cmkd_kitti_teacher_taps}},
    distill_losses={{_base_.cmkd_kitti_distill_losses}},
    inherit_from_teacher={{_base_.cmkd_kitti_inherit_from_teacher}})

lr = 2e-4
epoch_num = 20
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=lr, pct_start=0.4, div_factor=10, final_div_factor=1000,
         begin=0, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.4, eta_min=0.85, begin=0,
         end=epoch_num * 0.4, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.6, eta_min=0.95,
         begin=epoch_num * 0.4, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=epoch_num, val_interval=5)
default_hooks = dict(checkpoint=dict(interval=5))
