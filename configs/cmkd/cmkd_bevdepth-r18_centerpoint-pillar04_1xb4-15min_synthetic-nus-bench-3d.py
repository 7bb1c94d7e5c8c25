# Copyright (c) distillbev contributors. All rights reserved.
# CMKD (ECCV 2022) in the KD benchmark (tools/kd_benchmark.py), paper setting: the losses and
# weights of cmkd_bevdet-r50_centerpoint-voxel01_8xb8-cbgs-24e_nus-3d.py on the small BEVDepth-R18
# student and the 0.4 m CenterPoint-pillar teacher. The student's lift-splat BEV (40 ch) is
# matched, through a 1x1 adapter, to the teacher's first SECOND stage (64 ch), its first map on the
# 64x64 grid.
_base_ = ['../_base_/distillers/bevdepth-r18_centerpoint-pillar04_synthetic-nus-bench.py']

model = dict(
    student_taps=dict(bev=dict(module='img_view_transformer', index=0), heads='pts_bbox_head'),
    teacher_taps=dict(bev=dict(module='pts_backbone', index=0), heads='pts_bbox_head'),
    adapters=dict(bev=dict(type='Conv1x1Adapter', in_channels=40, out_channels=64)),
    distill_losses=dict(
        loss_bev=dict(
            type='MaskedFeatureMimicLoss', loss_type='mse', normalize='numel', loss_weight=50.0,
            inputs=dict(s_feat='student.bev', t_feat='teacher.bev')),
        loss_heatmap=dict(
            type='HeatmapResponseLoss', mode='qfl', beta=2.0, pos_thr=0.5, loss_weight=0.2,
            inputs=dict(s_preds='student.heads', t_preds='teacher.heads')),
        loss_reg=dict(
            type='RegressionResponseLoss', keys=('reg', 'height', 'dim', 'rot', 'vel'),
            criterion='smooth_l1', weighting='teacher_conf', conf_reduce='sigmoid_sum_logits',
            conf_thr=None, normalize='head_mean',  # CMKD-MV: per-head mean, no threshold
            loss_weight=50.0, inputs=dict(s_preds='student.heads', t_preds='teacher.heads'))),
    inherit_from_teacher=['pts_bbox_head.task_heads'])
