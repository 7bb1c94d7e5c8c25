# Copyright (c) distillbev contributors. All rights reserved.
# CMKD (ECCV 2022), KITTI form, in `tools/kd_benchmark.py --dataset kitti_bev` (paper setting):
# cmkd-kitti_cmkd-mono-r18_pointpillars-hv032_1xb4-40e_synthetic-kitti-3d-3class.py (BEV MSE x4,
# anchor-head response KD instead of the GT loss, the LID depth loss, the teacher's BEV half
# copied into the student) on the data, schedule (1000 iterations) and image-branch
# initialisation (random) of the student alone it is paired with,
#   ../students/cmkd-mono_r18_fpn_second_secfpn_1xb4-60min_synthetic-kitti-bench-3d-3class.py,
# and the benchmark's teacher, trained first on the same data (1500 iterations):
#   ../pointpillars/pointpillars_hv032_secfpn_1xb4-cyclic-45min_synthetic-kitti-bench-3d-3class.py
# tools/kd_benchmark.py copies its last checkpoint to teacher_ckpt below; by hand, train it with
# tools/train.py (its default work dir is that folder) or pass --cfg-options model.teacher_ckpt=...
_base_ = [
    './cmkd-kitti_cmkd-mono-r18_pointpillars-hv032_1xb4-40e_synthetic-kitti-3d-3class.py',
    '../_base_/datasets/synthetic-kitti-bench-3d.py',
    '../_base_/schedules/synthetic-kitti-bench-3d-60min.py'
]

teacher_name = 'pointpillars_hv032_secfpn_1xb4-cyclic-45min_synthetic-kitti-bench-3d-3class'
teacher_config = '{{ fileDirname }}/../pointpillars/' + teacher_name + '.py'
teacher_ckpt = 'work_dirs/' + teacher_name + '/iter_1500.pth'

model = dict(
    student=dict(img_backbone=dict(init_cfg=None)),
    teacher=teacher_config,
    teacher_ckpt=teacher_ckpt)

train_dataloader = dict(dataset={{_base_.kitti_bench_3d_train_dataset}})
val_dataloader = dict(dataset={{_base_.kitti_bench_3d_val_dataset}})
test_dataloader = dict(dataset={{_base_.kitti_bench_3d_test_dataset}})
val_evaluator = {{_base_.kitti_bench_3d_val_evaluator}}
test_evaluator = {{_base_.kitti_bench_3d_test_evaluator}}

param_scheduler = {{_base_.kitti_bench_3d_60min_param_scheduler}}
train_cfg = {{_base_.kitti_bench_3d_60min_train_cfg}}
default_hooks = {{_base_.kitti_bench_3d_60min_default_hooks}}
log_processor = {{_base_.kitti_bench_3d_60min_log_processor}}
