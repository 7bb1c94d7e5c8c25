# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (Wang et al., "DistillBEV: Boosting Multi-Camera 3D Object Detection with Cross-Modal
# Knowledge Distillation", ICCV 2023): BEVDepth-R50 student, CenterPoint pillar 0.2 teacher.
# Three levels, each with the region-decomposed feature loss (foreground with box-size scaling,
# background, teacher false positives on the head level) and spatial attention:
#   backbone1: student BEV stage 2 (320 @ 32x32, x4 upsample + 3-layer MLP -> 128) vs SECOND stage 2
#              (128 @ 128x128);
#   backbone2: student BEV stage 3 (640 @ 16x16, x4 upsample + MLP -> 256) vs SECOND stage 3
#              (256 @ 64x64);
#   head:      student FPN-LSS (256 @ 128x128, 1x1 -> 384) vs SECONDFPN (384 @ 128x128).
# Weights as the official scripts (sum-reduced losses): fg 6e-3, bg 4e-2, fp 6e-2, spatial 2.5e-3.
# The student inherits the teacher's CenterHead task heads.
_base_ = ['../_base_/distillers/bevdepth-r50_centerpoint-pillar02_nus.py']

# attention='teacher_student': the released training scripts average the teacher's and the
# student's spatial attention (the repository's default config uses the teacher's alone).
fgd_weights = dict(fg_weight=6e-3, bg_weight=4e-2, spatial_weight=2.5e-3, temp_spatial=0.5,
                   attention='teacher_student')

model = dict(
    student_taps=dict(
        bev_stages='img_bev_encoder_backbone',  # tuple of 3 stages
        neck='img_bev_encoder_neck',
        heads='pts_bbox_head'),
    teacher_taps=dict(
        bev_stages='pts_backbone',
        neck=dict(module='pts_neck', index=0),
        heads='pts_bbox_head'),
    adapters=dict(
        level1=dict(type='UpsampleMLPAdapter', in_channels=320, out_channels=128,
                    scale_factor=4, num_layers=3, mid_channels=320,
                    input='student_raw.bev_stages.1'),
        level2=dict(type='UpsampleMLPAdapter', in_channels=640, out_channels=256,
                    scale_factor=4, num_layers=3, mid_channels=640,
                    input='student_raw.bev_stages.2'),
        neck=dict(type='Conv1x1Adapter', in_channels=256, out_channels=384)),
    kd_targets=dict(
        # grid: the student head's (128 x 128 at 0.8 m); masks at each teacher level's size
        fg=dict(type='BEVBoxMask', mode='binary', scale='sqrt_area',
                inputs=dict(shape=['teacher.bev_stages.1.hw', 'teacher.bev_stages.2.hw',
                                   'teacher.neck.hw'])),
        gt_heatmap=dict(type='BEVBoxMask', mode='gaussian', scale='none', min_overlap=0.1,
                        min_radius=2),
        fp=dict(type='TeacherFPMask', thr=0.1, gt_thr=0.1,
                inputs=dict(t_preds='teacher.heads', gt_mask='target.gt_heatmap.mask',
                            fg_mask='target.fg.mask.2'))),
    distill_losses=dict(
        loss_fgd_backbone1=dict(
            type='FGBGAttentionFeatureLoss', fp_weight=0.0, **fgd_weights,
            inputs=dict(s_feat='student.level1', t_feat='teacher.bev_stages.1',
                        fg_mask='target.fg.mask.0', fg_scale='target.fg.fg_scale.0')),
        loss_fgd_backbone2=dict(
            type='FGBGAttentionFeatureLoss', fp_weight=0.0, **fgd_weights,
            inputs=dict(s_feat='student.level2', t_feat='teacher.bev_stages.2',
                        fg_mask='target.fg.mask.1', fg_scale='target.fg.fg_scale.1')),
        loss_fgd_head=dict(
            type='FGBGAttentionFeatureLoss', fp_weight=6e-2, **fgd_weights,
            inputs=dict(s_feat='student.neck', t_feat='teacher.neck',
                        fg_mask='target.fg.mask.2', fg_scale='target.fg.fg_scale.2',
                        fp_mask='target.fp.mask', fp_scale='target.fp.scale'))),
    inherit_from_teacher=['pts_bbox_head.task_heads'])
# DistillBEV schedule: AdamW 2e-4, grad clip 5 (student config), 24 epochs, steps at 16 and 22
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=24, milestones=[16, 22], gamma=0.1)
]
