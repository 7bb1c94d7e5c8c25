# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV's taps, adapters, KD targets and losses (Wang et al., "DistillBEV: Boosting
# Multi-Camera 3D Object Detection with Cross-Modal Knowledge Distillation", ICCV 2023), with the
# weights and
# stage pairing of distillbev_bevdepth-r50_centerpoint-pillar02_8xb8-cbgs-24e_nus-3d.py, for the
# R18-width BEVDepth students (BEV stages 80 / 160 / 320, neck 128: BEVDepth-R18 and
# BEVDepth4D-R18) and the 0.4 m CenterPoint-pillar teacher:
# backbone1: student BEV stage 2 (160 @ 16x16, x4 + MLP -> 64) vs SECOND stage 1 (64 @ 64x64);
# backbone2: student BEV stage 3 (320 @ 8x8, x4 + MLP -> 128) vs SECOND stage 2 (128 @ 32x32);
# head:      student FPN-LSS (128 @ 64x64, 1x1 -> 384) vs SECONDFPN (384 @ 64x64). The KD targets
# get the student head's BEV grid from the distiller; the foreground mask is drawn at the spatial
# size of each teacher level it is compared with (``.hw`` references). Only `distillbev_*` names:
# a second `_base_` next to a distiller base. The 0.4 m pillar teacher's levels (SECOND stages 1
# and 2, SECONDFPN) are paired the same way with every small student; the adapters depend on the
# student's widths (`distillbev_bevdepth_r18_adapters` for BEVDepth-R18 and BEVDepth4D-R18).
# attention='teacher_student': the released training scripts average the teacher's and the
# student's spatial attention (the repository's default config uses the teacher's alone).
distillbev_fgd_weights = dict(fg_weight=6e-3, bg_weight=4e-2, spatial_weight=2.5e-3,
                              temp_spatial=0.5, attention='teacher_student')

distillbev_student_taps = dict(
    bev_stages='img_bev_encoder_backbone', neck='img_bev_encoder_neck', heads='pts_bbox_head')
distillbev_teacher_taps = dict(
    bev_stages='pts_backbone', neck=dict(module='pts_neck', index=0), heads='pts_bbox_head')
distillbev_bevdepth_r18_adapters = dict(
    level1=dict(type='UpsampleMLPAdapter', in_channels=160, out_channels=64, scale_factor=4,
                num_layers=3, mid_channels=160, input='student_raw.bev_stages.1'),
    level2=dict(type='UpsampleMLPAdapter', in_channels=320, out_channels=128, scale_factor=4,
                num_layers=3, mid_channels=320, input='student_raw.bev_stages.2'),
    neck=dict(type='Conv1x1Adapter', in_channels=128, out_channels=384))
distillbev_pillar04_kd_targets = dict(
    fg=dict(type='BEVBoxMask', mode='binary', scale='sqrt_area',
            inputs=dict(shape=['teacher.bev_stages.0.hw', 'teacher.bev_stages.1.hw',
                               'teacher.neck.hw'])),
    gt_heatmap=dict(type='BEVBoxMask', mode='gaussian', scale='none', min_overlap=0.1,
                    min_radius=2),
    fp=dict(type='TeacherFPMask', thr=0.1, gt_thr=0.1,
            inputs=dict(t_preds='teacher.heads', gt_mask='target.gt_heatmap.mask',
                        fg_mask='target.fg.mask.2')))
distillbev_pillar04_distill_losses = dict(
    loss_fgd_backbone1=dict(
        type='FGBGAttentionFeatureLoss', fp_weight=0.0, **distillbev_fgd_weights,
        inputs=dict(s_feat='student.level1', t_feat='teacher.bev_stages.0',
                    fg_mask='target.fg.mask.0', fg_scale='target.fg.fg_scale.0')),
    loss_fgd_backbone2=dict(
        type='FGBGAttentionFeatureLoss', fp_weight=0.0, **distillbev_fgd_weights,
        inputs=dict(s_feat='student.level2', t_feat='teacher.bev_stages.1',
                    fg_mask='target.fg.mask.1', fg_scale='target.fg.fg_scale.1')),
    loss_fgd_head=dict(
        type='FGBGAttentionFeatureLoss', fp_weight=6e-2, **distillbev_fgd_weights,
        inputs=dict(s_feat='student.neck', t_feat='teacher.neck',
                    fg_mask='target.fg.mask.2', fg_scale='target.fg.fg_scale.2',
                    fp_mask='target.fp.mask', fp_scale='target.fp.scale')))
distillbev_inherit_from_teacher = ['pts_bbox_head.task_heads']

# nuScenes scale: the R50-width BEVDepth students (BEV stages 160 / 320 / 640, neck 256:
# BEVDepth-R50 and the two-frame BEVDepth4D-R50) and the stock 0.2 m CenterPoint-pillar teacher
# (SECOND stages 64 @ 256x256, 128 @ 128x128, 256 @ 64x64; SECONDFPN 384 @ 128x128):
# backbone1: student BEV stage 2 (320 @ 32x32, x4 + MLP -> 128) vs SECOND stage 2 (128 @ 128x128);
# backbone2: student BEV stage 3 (640 @ 16x16, x4 + MLP -> 256) vs SECOND stage 3 (256 @ 64x64);
# head:      student FPN-LSS (256 @ 128x128, 1x1 -> 384) vs SECONDFPN (384 @ 128x128).
# Same weights, attention, FP term and taps as the pillar04 statement above.
distillbev_bevdepth_r50_adapters = dict(
    level1=dict(type='UpsampleMLPAdapter', in_channels=320, out_channels=128, scale_factor=4,
                num_layers=3, mid_channels=320, input='student_raw.bev_stages.1'),
    level2=dict(type='UpsampleMLPAdapter', in_channels=640, out_channels=256, scale_factor=4,
                num_layers=3, mid_channels=640, input='student_raw.bev_stages.2'),
    neck=dict(type='Conv1x1Adapter', in_channels=256, out_channels=384))
distillbev_pillar02_kd_targets = dict(
    # grid: the student head's (128 x 128 at 0.8 m); masks at each teacher level's size
    fg=dict(type='BEVBoxMask', mode='binary', scale='sqrt_area',
            inputs=dict(shape=['teacher.bev_stages.1.hw', 'teacher.bev_stages.2.hw',
                               'teacher.neck.hw'])),
    gt_heatmap=dict(type='BEVBoxMask', mode='gaussian', scale='none', min_overlap=0.1,
                    min_radius=2),
    fp=dict(type='TeacherFPMask', thr=0.1, gt_thr=0.1,
            inputs=dict(t_preds='teacher.heads', gt_mask='target.gt_heatmap.mask',
                        fg_mask='target.fg.mask.2')))
distillbev_pillar02_distill_losses = dict(
    loss_fgd_backbone1=dict(
        type='FGBGAttentionFeatureLoss', fp_weight=0.0, **distillbev_fgd_weights,
        inputs=dict(s_feat='student.level1', t_feat='teacher.bev_stages.1',
                    fg_mask='target.fg.mask.0', fg_scale='target.fg.fg_scale.0')),
    loss_fgd_backbone2=dict(
        type='FGBGAttentionFeatureLoss', fp_weight=0.0, **distillbev_fgd_weights,
        inputs=dict(s_feat='student.level2', t_feat='teacher.bev_stages.2',
                    fg_mask='target.fg.mask.1', fg_scale='target.fg.fg_scale.1')),
    loss_fgd_head=dict(
        type='FGBGAttentionFeatureLoss', fp_weight=6e-2, **distillbev_fgd_weights,
        inputs=dict(s_feat='student.neck', t_feat='teacher.neck',
                    fg_mask='target.fg.mask.2', fg_scale='target.fg.fg_scale.2',
                    fp_mask='target.fp.mask', fp_scale='target.fp.scale')))

# BEVFormer students (methods.md 3.2 / 3.3, the BEVFormer scripts): one level, the BEV the
# encoder outputs (the BEV queries after the last encoder layer, the current frame's) against the
# teacher's BEV embedding (here SECONDFPN, the map the teacher's head reads), foreground (box-size
# scaled) and background terms with spatial attention, no teacher-FP term, no channel term:
# fg 5e-3, bg 4e-3, spatial 5e-4. The scripts' attention mode is not recorded; the BEVDepth
# scripts' 'teacher_student' average is kept. The student tap reads the LAST call of
# `bev_encoder` in a step: BEVFormer runs it for each previous frame of its queue first (no
# gradient, eval mode) and then for the current frame, so the tap's `call` is the student's
# num_prev (stated with the student in each config). The adapter (1x1 to the teacher's 384
# channels, with the resampling onto the teacher's cells) depends on the student's BEV.
distillbev_bevformer_fgd_weights = dict(fg_weight=5e-3, bg_weight=4e-3, spatial_weight=5e-4,
                                        temp_spatial=0.5, attention='teacher_student')
distillbev_bevformer_teacher_taps = dict(neck=dict(module='pts_neck', index=0))
distillbev_bevformer_kd_targets = dict(
    # grid: the student head's (the BEVFormer BEV); the mask is drawn at the teacher's size
    fg=dict(type='BEVBoxMask', mode='binary', scale='sqrt_area',
            inputs=dict(shape=['teacher.neck.hw'])))
distillbev_bevformer_distill_losses = dict(
    loss_fgd_bev=dict(
        type='FGBGAttentionFeatureLoss', fp_weight=0.0, **distillbev_bevformer_fgd_weights,
        inputs=dict(s_feat='student.bev', t_feat='teacher.neck',
                    fg_mask='target.fg.mask.0', fg_scale='target.fg.fg_scale.0')))
# the small BEVFormer-R18 students (queue length 2: the current frame is the encoder's call 1;
# 64-d BEV at 1.6 m): bilinear x2 onto the teacher's 0.8 m cells + 1x1 conv 64 -> 384
distillbev_bevformer_r18_student_taps = dict(bev=dict(module='bev_encoder', call=1))
distillbev_bevformer_r18_adapters = dict(
    bev=dict(type='UpsampleMLPAdapter', in_channels=64, out_channels=384, scale_factor=2,
             num_layers=1, norm_cfg=None, last_act=False))
