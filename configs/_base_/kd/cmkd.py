# Copyright (c) distillbev contributors. All rights reserved.
# CMKD's distillation losses (Hong et al., "Cross-Modality Knowledge Distillation Network for
# Monocular 3D Object Detection", ECCV 2022), as the official CMKD-MV (nuScenes) code: BEV feature
# MSE (x50), quality-focal heatmap KD (x0.2, positives = teacher prob >= 0.5), teacher-confidence
# weighted SmoothL1 regression KD (x50); the student inherits the teacher's task heads. Defined once
# here for every CMKD config (nuScenes, generated data, KD benchmark); only `cmkd_*` names, so this
# file is a second `_base_` next to a distiller base. The taps `bev` and `heads`, and the adapter
# of `bev`, are per student/teacher pair (in each config).
cmkd_distill_losses = dict(
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
        loss_weight=50.0, inputs=dict(s_preds='student.heads', t_preds='teacher.heads')))
cmkd_inherit_from_teacher = ['pts_bbox_head.task_heads']
