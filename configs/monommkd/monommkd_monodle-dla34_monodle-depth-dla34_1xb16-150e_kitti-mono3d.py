# Copyright (c) distillbev contributors. All rights reserved.
# MonoMMKD (reconstructed; see ../_base_/kd/monommkd.py for what is the paper's and what is ours)
# on KITTI: the MonoDLE DLA-34 student (from its RGB pre-training) with a depth-distribution
# branch, the MonoDLE depth-image teacher, modal-mimicking (RPD) and DualKL losses. Schedule of
# MonoSKD (configs/monoskd.yaml), the code base MonoMMKD's README points to: batch 16, Adam 1e-3,
# wd 1e-5, 5 warm-up epochs, x0.1 at 90 / 120, 150 epochs. Train
# ../students/monodle_dla34_dlaneck_1xb16-140e_kitti-mono3d.py and
# ../students/monodle-depth_dla34_dlaneck_1xb16-140e_kitti-mono3d.py first.
_base_ = [
    '../_base_/distillers/monodle-dla34_monodle-depth-dla34_kitti-mono3d.py',
    '../_base_/kd/monommkd.py'
]

model = dict(
    student=dict(init_cfg={{_base_.student_init}}, backbone=dict(init_cfg=None),
                 bbox_head={{_base_.monommkd_student_head}}),
    student_taps={{_base_.monommkd_student_taps}},
    teacher_taps={{_base_.monommkd_teacher_taps}},
    teacher_runner=dict(type='TeacherDepthImageRunner', head=None),  # backbone taps only
    adapters={{_base_.monommkd_adapters}},
    kd_targets={{_base_.monommkd_kd_targets}},
    distill_losses={{_base_.monommkd_distill_losses}})

train_dataloader = dict(batch_size=16)
lr = 1e-3
max_epochs = 150
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-5 / lr, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[90, 120],
         gamma=0.1),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=16)
