# Copyright (c) distillbev contributors. All rights reserved.
# The KITTI CPU regime's generated data in LiDAR mode (stock KittiDataset with LiDAR boxes,
# velodyne_reduced points and CAM2 images; stock KittiMetric, AP R40) for the LiDAR teacher and
# the mono-BEV students of `tools/kd_benchmark.py --dataset kitti_bev`. The frames are those of the
# monocular configs: roots and world seeds come from ./synthetic-kitti-bench-mono3d.py (train/val:
# world seed 0, 480 train + 120 val frames; the held-out test split: 120 frames of world seed
# 1000, its val.txt), so both KITTI suites train and test on one generated set.
# Only `kitti_bench_*` names live here, so this file can be a second `_base_` next to a model
# config (mmengine refuses keys that two bases both define). The pipelines are the model's; use:
#   train_dataloader = dict(dataset={{_base_.kitti_bench_3d_train_dataset}})
#   val_dataloader = dict(dataset={{_base_.kitti_bench_3d_val_dataset}})
#   test_dataloader = dict(dataset={{_base_.kitti_bench_3d_test_dataset}})
#   val_evaluator = {{_base_.kitti_bench_3d_val_evaluator}}
#   test_evaluator = {{_base_.kitti_bench_3d_test_evaluator}}
_base_ = ['./synthetic-kitti-bench-mono3d.py']

# the stock KITTI 3-class order (the order of PointPillars' anchor ranges and sizes)
kitti_bench_3d_class_names = ['Pedestrian', 'Cyclist', 'Car']
kitti_bench_3d_dataset = dict(
    type='KittiDataset',
    data_prefix=dict(pts='training/velodyne_reduced', img='training/image_2'),
    modality=dict(use_lidar=True, use_camera=True),
    metainfo=dict(classes=kitti_bench_3d_class_names),
    box_type_3d='LiDAR',
    backend_args=None)
kitti_bench_3d_train_dataset = dict(
    kitti_bench_3d_dataset, data_root={{_base_.kitti_bench_data_root}},
    ann_file='kitti_infos_train.pkl', test_mode=False)
# the tuning split: the val frames of the train/val set
kitti_bench_3d_val_dataset = dict(
    kitti_bench_3d_dataset, data_root={{_base_.kitti_bench_data_root}},
    ann_file='kitti_infos_val.pkl', test_mode=True)
# the held-out split: the val frames of the test set, never used for tuning
kitti_bench_3d_test_dataset = dict(
    kitti_bench_3d_dataset, data_root={{_base_.kitti_bench_test_root}},
    ann_file='kitti_infos_val.pkl', test_mode=True)
kitti_bench_3d_val_evaluator = dict(type='KittiMetric', ann_file={{_base_.kitti_bench_val_ann}},
                                    metric='bbox', backend_args=None)
kitti_bench_3d_test_evaluator = dict(type='KittiMetric',
                                     ann_file={{_base_.kitti_bench_test_ann}}, metric='bbox',
                                     backend_args=None)
