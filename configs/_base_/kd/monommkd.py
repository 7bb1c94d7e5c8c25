# Copyright (c) distillbev contributors. All rights reserved.
# MonoMMKD ("Modal Mimicking Knowledge Distillation for Monocular 3D Detection", 2025), rebuilt
# from its abstract and framework figure: no code was released and the paper's constants are not
# public, so every number here is OUR placeholder (not tuned), not the paper's.
# - the student (MonoDLE) gets a depth-distribution branch (`depth_dist`: 80 bin logits at
#   stride 4) on its neck map: `monommkd_student_head`, merged into the student's bbox_head;
# - modal mimicking (x1): cross-entropy of that branch against Road-Plane-Discretized bins of the
#   projected LiDAR depth (2-80 m, 80 bins uniform in road-image rows, i.e. in 1 / depth; per
#   stride-4 cell the nearest return);
# - DualKL (x1): adaptively balanced forward / reverse KL (channel-wise spatial softmax, tau 1)
#   between the student's DLA backbone levels 3 / 4 / 5 (through one 3x3-ReLU-1x1 adapter each,
#   MonoSKD's connector) and the depth-image teacher's, each location weighted by
#   1 + (1 - p_student(LiDAR bin)) (depth uncertainty of the branch; 1 without a LiDAR return).
# The teacher is MonoDistill's LiDAR Net (the MonoDLE depth-image teacher; MonoMMKD's own is a
# DID-M3D on depth maps). Only `monommkd_*` names: a second `_base_` next to a distiller base.
monommkd_num_bins = 80
monommkd_student_head = dict(
    extra_branches=dict(depth_dist=dict(type='DepthDistributionBranch', in_channels=64,
                                        feat_channels=256, num_bins=monommkd_num_bins)))
monommkd_student_taps = dict(backbone='backbone', heads='bbox_head')
monommkd_teacher_taps = dict(backbone='backbone')
monommkd_adapters = dict(
    level3=dict(type='ConvReLUConvAdapter', in_channels=128, out_channels=128,
                input='student.backbone.3'),
    level4=dict(type='ConvReLUConvAdapter', in_channels=256, out_channels=256,
                input='student.backbone.4'),
    level5=dict(type='ConvReLUConvAdapter', in_channels=512, out_channels=512,
                input='student.backbone.5'))
monommkd_kd_targets = dict(
    rpd=dict(type='RPDDepthBins', d_min=2.0, d_max=80.0, num_bins=monommkd_num_bins,
             inputs=dict(depth_maps='data.samples.*.gt_depth',
                         shape='student.heads.depth_dist.hw')),
    uncertainty=dict(type='DepthUncertaintyWeight', alpha=1.0,
                     inputs=dict(depth_logits='student.heads.depth_dist',
                                 bins='target.rpd.bins')))
monommkd_distill_losses = dict(
    loss_depth_mimic=dict(
        type='DepthMimicLoss', loss_weight=1.0,
        inputs=dict(depth_logits='student.heads.depth_dist', bins='target.rpd.bins')),
    loss_dualkl=dict(
        type='DualKLLoss', tau=1.0, softmax_over='spatial', balance='adaptive', head_ratio=0.5,
        weight_on='kl', loss_weight=1.0,
        inputs=dict(s_feats=['student.level3', 'student.level4', 'student.level5'],
                    t_feats=['teacher.backbone.3', 'teacher.backbone.4', 'teacher.backbone.5'],
                    weight='target.uncertainty.weight')))
