# Copyright (c) distillbev contributors. All rights reserved.
# UniDistill's KD targets and losses (Zhou et al., "UniDistill: A Universal Cross-Modality
# Knowledge Distillation Framework for 3D Object Detection in Bird's-Eye View", CVPR 2023),
# LiDAR -> camera: low-level features L1 at the 9 keypoints of every GT box (x100), high-level
# features 9x9 keypoint relation (x40), Gaussian-weighted max-class heatmap L1 with teacher
# temperature 2 and regression L1 (x10 each; Gaussians with min_overlap 0.7, radius >= 0).
# Defined once here for every UniDistill config; only `unidistill_*` names, so this file is a
# second `_base_` next to a distiller base. The taps `low`, `high`, `heads` and their adapters are
# per student/teacher pair (in each config).
unidistill_kd_targets = dict(
    # both on the student head's BEV grid, handed over by the distiller
    kpts=dict(type='BoxKeypoints'),
    gauss=dict(type='BEVBoxMask', mode='gaussian', scale='none', min_overlap=0.7, min_radius=0))
unidistill_distill_losses = dict(
    loss_feature=dict(
        type='KeypointFeatureLoss', loss_weight=100.0,
        inputs=dict(s_feat='student.low', t_feat='teacher.low',
                    keypoints='target.kpts.keypoints', valid='target.kpts.valid')),
    loss_relation=dict(
        type='KeypointRelationLoss', loss_weight=40.0,
        inputs=dict(s_feat='student.high', t_feat='teacher.high',
                    keypoints='target.kpts.keypoints', valid='target.kpts.valid')),
    loss_heatmap=dict(
        type='HeatmapResponseLoss', mode='l1_max_class', teacher_temperature=2.0,
        mask='gt_gaussian', loss_weight=10.0,
        inputs=dict(s_preds='student.heads', t_preds='teacher.heads',
                    gt_mask='target.gauss.mask')),
    loss_reg=dict(
        type='RegressionResponseLoss', criterion='l1', weighting='gt_gaussian', loss_weight=10.0,
        inputs=dict(s_preds='student.heads', t_preds='teacher.heads',
                    gt_mask='target.gauss.mask')))
