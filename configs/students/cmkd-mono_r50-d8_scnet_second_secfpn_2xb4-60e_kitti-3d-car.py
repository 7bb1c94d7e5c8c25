# Copyright (c) distillbev contributors. All rights reserved.
# CMKD's monocular KITTI student (Hong et al., ECCV 2022; CaDDN image branch, Reading et al.,
# CVPR 2021) trained alone, on the grid of the stock mmdet3d PointPillars KITTI car teacher
# (mmdet3d::pointpillars/pointpillars_hv_secfpn_8xb6-160e_kitti-3d-car.py, inherited below):
# - image: the full KITTI CAM2 frame (CaDDN/CMKD do not resize; ~375x1242 placed at scale 1 in a
#   384x1248 canvas, top padded), random horizontal flip only (CaDDN), recorded in img_aug_matrix;
# - image backbone: CMKD's DeepLabV3-ResNet50 (torchvision, COCO-trained) read at its dilated
#   layer3: output stride 8, 1024 channels ("r50-d8"); layer4 and the ASPP heads are not built.
#   mmdet's ResNet dilates every block of layer3 by 2, torchvision keeps dilation 1 in the
#   first block's 3x3 conv (same tensors, one conv's dilation differs). Weights:
#     python -c "import torch, torchvision; m = torchvision.models.segmentation.\
#       deeplabv3_resnet50(weights='COCO_WITH_VOC_LABELS_V1'); \
#       torch.save(m.state_dict(), 'deeplabv3_resnet50_coco_torchvision.pth')"
#     python tools/convert_deeplabv3_torchvision.py deeplabv3_resnet50_coco_torchvision.pth \
#       checkpoints/deeplabv3_resnet50_coco_mmdet.pth --num-stages 3
# - no image neck: the view transformer's 1x1 conv + BN + ReLU context branch is CaDDN's
#   1024 -> 64 channel reduction; its depth head (3x3 conv 256, 1x1) reads layer3 too (CaDDN:
#   DeepLabV3's ASPP head); 120 LID depth bins over [2, 46.8] m + 1 out-of-range class (CMKD's
#   code; the paper follows CaDDN's 80), focal depth loss (alpha 0.25, gamma 2, weight 1.0 as
#   CMKD's PointPillars configs) on the projected KITTI velodyne points after the image
#   augmentation; the BEV beyond 46.8 m stays empty, as CMKD's grid stops there;
# - frustum -> BEV: lift-splat onto the teacher's pillar grid, 0.16 m over [0, 69.12] x
#   [-39.68, 39.68] (432 x 496), z [-3, 1] m in 10 voxels of 0.4 m (CaDDN's), flattened by
#   Conv2DCollapse (640 -> 64 = the PointPillarsScatter channels);
# - CMKD's "domain adaptation" neck: SCNetBEVNeck, 4 self-calibrated bottlenecks (CMKD's KITTI
#   configs say 5 and build 4, an off-by-one) at the teacher's 64 channels (CMKD: 128 at its
#   0.32 m grid, 188 x 140); its output is the distilled BEV level;
# - BEV: the teacher's SECOND [3, 5, 5] / SECONDFPN (384 ch) / Anchor3DHead (car anchors,
#   rotations 0 and pi/2), train_cfg and test_cfg, under VoxelNet's module names;
# - schedule: CMKD stage 1 ("*_bev.yaml"): AdamW, one-cycle (pct_start 0.4, div 10, final div
#   1000, momentum 0.95 -> 0.85 -> 0.95), lr 2e-3, 60 epochs, 2 GPUs x batch 4, grad-norm clip 10.
# Stock KittiDataset (LiDAR boxes) and KittiMetric.
_base_ = ['mmdet3d::pointpillars/pointpillars_hv_secfpn_8xb6-160e_kitti-3d-car.py']
custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)

point_cloud_range = [0, -39.68, -3, 69.12, 39.68, 1]
grid_config = dict(
    x=[0, 69.12, 0.16], y=[-39.68, 39.68, 0.16], z=[-3.0, 1.0, 0.4],
    depth=dict(mode='LID', min=2.0, max=46.8, num_bins=120))
num_z = 10
final_size = (384, 1248)  # (H, W)
lifted_channels = 64
teacher_bev_channels = 64  # PointPillarsScatter
deeplabv3_checkpoint = 'checkpoints/deeplabv3_resnet50_coco_mmdet.pth'
class_names = ['Car']
metainfo = dict(classes=class_names)
data_root = 'data/kitti/'
data_prefix = dict(pts='training/velodyne_reduced', img='training/image_2')
input_modality = dict(use_lidar=True, use_camera=True)
backend_args = None

model = dict(
    _delete_=True,
    type='CMKDMonoBEV',
    data_preprocessor=dict(
        type='Det3DDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
    img_backbone=dict(
        type='mmdet.ResNet', depth=50, num_stages=3, strides=(1, 2, 1), dilations=(1, 1, 2),
        out_indices=(2, ), frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False, style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint=deeplabv3_checkpoint)),
    img_neck=None,
    img_neck_out_index=0,  # layer3, stride 8
    img_view_transformer=dict(
        type='LIDDepthViewTransformer', in_channels=1024, out_channels=lifted_channels,
        grid_config=grid_config, downsample=8, mid_channels=256,
        loss_depth=dict(alpha=0.25, gamma=2.0, loss_weight=1.0)),
    bev_compressor=dict(type='Conv2DCollapse', in_channels=lifted_channels * num_z,
                        out_channels=teacher_bev_channels),
    bev_neck=dict(type='SCNetBEVNeck', in_channels=teacher_bev_channels, num_blocks=4,
                  pooling_r=4),
    # the teacher's BEV half, as its config states it
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    bbox_head={{_base_.model.bbox_head}},
    train_cfg={{_base_.model.train_cfg}},
    test_cfg={{_base_.model.test_cfg}})

train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4,
         backend_args=backend_args),
    dict(type='LoadMultiViewImagesWithCalib', num_views=1, cam_names=['CAM2'],
         channel_order='bgr', backend_args=backend_args),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_lim=(1.0, 1.0),
         bot_pct_lim=(0.0, 0.0), rot_lim=(0.0, 0.0), flip_prob=0.5, antialias=False),
    dict(type='GlobalBEVAug3D', test_mode=True),  # CaDDN: no global 3D augmentation
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectNameFilter', classes=class_names),
    dict(type='MultiViewDepthFromLiDAR', min_depth=1e-3),
    dict(type='PackMultiViewDet3DInputs',
         keys=['img', 'gt_bboxes_3d', 'gt_labels_3d', 'gt_depth']),
]
test_pipeline = [
    dict(type='LoadMultiViewImagesWithCalib', num_views=1, cam_names=['CAM2'],
         channel_order='bgr', backend_args=backend_args),
    dict(type='MultiViewImageAffineAug', final_size=final_size, resize_test=1.0,
         test_mode=True, antialias=False),
    dict(type='GlobalBEVAug3D', test_mode=True),
    dict(type='PackMultiViewDet3DInputs', keys=['img']),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    dataset=dict(
        times=1,
        dataset=dict(data_root=data_root, pipeline=train_pipeline, metainfo=metainfo,
                     modality=input_modality, data_prefix=data_prefix)))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline, metainfo=metainfo,
                 modality=input_modality, data_prefix=data_prefix))
test_dataloader = val_dataloader
val_evaluator = dict(type='KittiMetric', ann_file=data_root + 'kitti_infos_val.pkl',
                     metric='bbox', backend_args=backend_args)
test_evaluator = val_evaluator

lr = 2e-3
epoch_num = 60
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.95, 0.99), weight_decay=0.01),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=lr, pct_start=0.4, div_factor=10, final_div_factor=1000,
         begin=0, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.4, eta_min=0.85, begin=0,
         end=epoch_num * 0.4, by_epoch=True, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', T_max=epoch_num * 0.6, eta_min=0.95,
         begin=epoch_num * 0.4, end=epoch_num, by_epoch=True, convert_to_iter_based=True),
]
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=epoch_num,
                 val_interval=10)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
auto_scale_lr = dict(enable=False, base_batch_size=8)
