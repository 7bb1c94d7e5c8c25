# Copyright (c) distillbev contributors. All rights reserved.
# The 0.4 m synthetic-nuScenes CenterPoint-pillar teacher with the schedule of the 30-minute CPU
# demo (docs/teachers.md): 16 epochs instead of 20, nothing else changed.
_base_ = ['./centerpoint_pillar04_second_secfpn_1xb4-cyclic-20e_synthetic-nus-3d.py']

# The stock one-cycle schedule (lr 1e-4 -> 1e-3 -> 1e-8, momentum 0.85 -> 0.95) compressed from
# 8 + 12 epochs to 6 + 10 (18 iterations per epoch, 288 in all).
lr = 1e-4
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=6, eta_min=lr * 10, begin=0, end=6, by_epoch=True,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=10, eta_min=lr * 1e-4, begin=6, end=16, by_epoch=True,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=6, eta_min=0.85 / 0.95, begin=0, end=6,
         by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=10, eta_min=1, begin=6, end=16, by_epoch=True,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=16, val_interval=16)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_last=True))
