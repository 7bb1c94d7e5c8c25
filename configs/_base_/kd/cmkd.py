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

# CMKD's KITTI form (the official KITTI configs: CMKD-pp, stage 2 "*_V2.yaml"), for the mono BEV
# student (CMKDMonoBEV) and a PointPillars KITTI teacher on the same pillar grid:
# - BEV features before the BEV backbone: the student's bev_neck output (CMKD's SCNet "domain
#   adaptation" neck after Conv2DCollapse; an identity when the student has no bev_neck) against
#   the teacher's PointPillarsScatter output (same channels and cells, no adapter), plain MSE
#   averaged over every element, weight 4 (CMKD-pp on KITTI train; 32 on the raw/eigen splits);
# - the anchor head's responses (AnchorHeadSingleCMKD_V2): QFL classification (cls 2.0, beta 2,
#   positives p > 0.1), confidence-weighted SmoothL1 box residuals (loc 2.0) and direction CE
#   (0.4); it replaces the GT loss (the configs set the student's det_loss_weight to 0);
#   num_classes is read from the maps (1-class car and 3-class heads);
# - the student starts from the teacher's BEV backbone, neck and head.
cmkd_kitti_student_taps = dict(bev='bev_neck', heads='bbox_head')
cmkd_kitti_teacher_taps = dict(bev='middle_encoder', heads='bbox_head')
cmkd_kitti_distill_losses = dict(
    loss_bev=dict(
        type='MaskedFeatureMimicLoss', loss_type='mse', normalize='numel', loss_weight=4.0,
        inputs=dict(s_feat='student.bev', t_feat='teacher.bev')),
    loss_head=dict(
        type='AnchorResponseLoss', num_classes=None, cls_weight=2.0, loc_weight=2.0,
        dir_weight=0.4, beta=2.0, pos_thr=0.1, smooth_l1_beta=1.0 / 9.0,
        inputs=dict(s_preds='student.heads', t_preds='teacher.heads')))
cmkd_kitti_inherit_from_teacher = ['backbone', 'neck', 'bbox_head']
