# Copyright (c) distillbev contributors. All rights reserved.
# CWD (channel-wise distillation) of the KD benchmark's BEVDepth-R18 student from the 0.4 m
# CenterPoint-pillar teacher, at the BEV neck: the student's 128-channel neck output, mapped by a
# 1x1 conv to the teacher's 384 channels, against the teacher's neck output (both 64 x 64 cells of
# 0.8 m). tau and loss_weight are starting values, not tuned.
_base_ = [
    '../../../configs/_base_/distillers/bevdepth-r18_centerpoint-pillar04_synthetic-nus-bench.py'
]

custom_imports = dict(imports=['distillbev', 'projects.CWDistill.cwd_distill'],
                      allow_failed_imports=False)

model = dict(
    student_taps=dict(neck='img_bev_encoder_neck'),
    teacher_taps=dict(neck=dict(module='pts_neck', index=0)),
    adapters=dict(neck=dict(type='Conv1x1Adapter', in_channels=128, out_channels=384)),
    distill_losses=dict(
        loss_cwd=dict(type='ChannelWiseDivergenceBEVLoss', tau=1.0, loss_weight=10.0,
                      inputs=dict(s_feat='student.neck', t_feat='teacher.neck'))))
