# Copyright (c) distillbev contributors. All rights reserved.
# MonoDistill's taps, adapter, KD targets and losses (Chong et al., "MonoDistill: Learning Spatial
# Features for Monocular 3D Object Detection", ICLR 2022), with the official code's weights
# (lib/helpers/trainer_helper.py: L = L_det + 10 L_obj_feat + 1 L_affinity + 1 L_response):
# - object-level feature loss (x10): half squared error, channel mean, inside the 2D GT boxes
#   (every class) at DLA backbone levels 3 / 4 / 5 (strides 8 / 16 / 32; 128 / 256 / 512 ch),
#   / (B * #cells) per level, summed over levels;
# - scene-level affinity (x1): every level resized to the stride-32 size, raw dot-product
#   affinities (the code's; the paper's cosine is `normalize=True`), mean |A_s - A_t| / B;
# - response (x1): L1 of 2D/3D offsets, 2D/3D sizes and the depth logit in the window around
#   each Car's 2D centre (depth 2-65 m), heading-bin KL + residual L1 at the object slots.
# The student's levels pass ReviewKD's attention-based fusion (DLA levels 2-5, 512 wide) and a
# 3x3-ReLU-1x1 adapter per level; the teacher's are used raw. Only `monodistill_*` names: a second
# `_base_` next to a distiller base. Each loss is stated once; `monodistill_distill_losses` is
# the MonoDLE student's set, `monodistill_feature_distill_losses` the architecture-independent
# feature-level part (any DLA-34 student, e.g. SMOKE).
monodistill_levels = ['3', '4', '5']
monodistill_student_taps = dict(backbone='backbone', heads='bbox_head')
monodistill_teacher_taps = dict(backbone='backbone', heads='bbox_head')
monodistill_feature_teacher_taps = dict(backbone='backbone')
monodistill_adapters = dict(
    abf=dict(type='ABFAdapter', in_channels=[64, 128, 256, 512], mid_channels=512,
             in_indices=(2, 3, 4, 5), out_indices=(1, 2, 3), input='student.backbone'))
monodistill_box_target = dict(
    type='Box2DMask', strides=(8, 16, 32),
    inputs=dict(shape=['teacher.backbone.3.hw', 'teacher.backbone.4.hw',
                       'teacher.backbone.5.hw']))
monodistill_window_target = dict(
    type='Center2DWindow', stride=4, min_overlap=0.7, class_ids=[2], depth_range=(2.0, 65.0),
    max_objs=50, num_bins=12,
    inputs=dict(shape='teacher.heads.heatmap.hw',
                centers_2d='data.samples.*.gt_instances_3d.centers_2d'))
monodistill_loss_obj_feat = dict(
    type='MonoObjectFeatureLoss', criterion='mse', half=True, nonzero_teacher=True,
    loss_weight=10.0,
    inputs=dict(s_feats=['student.abf.0', 'student.abf.1', 'student.abf.2'],
                t_feats=['teacher.backbone.3', 'teacher.backbone.4', 'teacher.backbone.5'],
                masks='target.box'))
monodistill_loss_affinity = dict(
    type='AffinityDistillLoss', loss_weight=1.0,
    inputs=dict(s_feats=['student.abf.0', 'student.abf.1', 'student.abf.2'],
                t_feats=['teacher.backbone.3', 'teacher.backbone.4', 'teacher.backbone.5']))
monodistill_loss_resp = dict(
    type='MonoHeadResponseLoss', loss_weight=1.0,
    inputs=dict(s_preds='student.heads', t_preds='teacher.heads', mask='target.window.mask',
                indices='target.window.indices', valid='target.window.valid',
                heading_bin='target.window.heading_bin'))

monodistill_kd_targets = dict(box=monodistill_box_target, window=monodistill_window_target)
monodistill_distill_losses = dict(loss_obj_feat=monodistill_loss_obj_feat,
                                  loss_affinity=monodistill_loss_affinity,
                                  loss_resp=monodistill_loss_resp)
monodistill_feature_kd_targets = dict(box=monodistill_box_target)
monodistill_feature_distill_losses = dict(loss_obj_feat=monodistill_loss_obj_feat,
                                          loss_affinity=monodistill_loss_affinity)
