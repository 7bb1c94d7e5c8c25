# Copyright (c) distillbev contributors. All rights reserved.
# The KD benchmark's generated nuScenes-layout data (tools/kd_benchmark.py), defined once for its
# teacher, student and method configs. Only `bench_*` names live here, so this file can be a
# second `_base_` next to a model config (mmengine refuses keys that two bases both define).
#
# Four classes (car, barrier, bicycle, pedestrian): the worlds hold only these. The devkit
# evaluates all ten nuScenes classes (25 m class ranges, the generated data's devkit config);
# NuScenesClassSubsetMetric reports its mAP/NDS over these four (the six absent classes would
# count as AP 0 in the ten-class mean).
# Train/val: world seed 0; the held-out test split: its own scenes from world seed 1000, never
# used for tuning. Made by tools/kd_benchmark.py, or by hand:
#   python tools/create_synthetic.py nuscenes --out data/synthetic-nus-bench --seed 0 \
#       --scenes 40 --samples 6 --val-fraction 0.25 \
#       --classes car barrier bicycle pedestrian
#   python tools/create_synthetic.py nuscenes --out data/synthetic-nus-bench-test --seed 1000 \
#       --scenes 13 --samples 6 --val-fraction 0.923 \
#       --classes car barrier bicycle pedestrian
#   python tools/create_data.py nuscenes --root-path <root> --out-dir <root> \
#       --extra-tag nuscenes --skip-gt-database        # for both roots
# (the test set's one train scene is there because the stock converter fails on an empty train
# split; only its 12 val scenes are evaluated)
bench_world_seeds = dict(train=0, val=0, test=1000)
# CenterHead maps label i to the i-th class of its flattened tasks: class order = task order.
bench_tasks = [
    dict(num_class=1, class_names=['car']),
    dict(num_class=1, class_names=['barrier']),
    dict(num_class=2, class_names=['bicycle', 'pedestrian']),
]
bench_class_names = ['car', 'barrier', 'bicycle', 'pedestrian']
bench_min_radius = [4, 1, 0.85]  # circle-NMS radii per task (CenterPoint's for these classes)
bench_data_root = 'data/synthetic-nus-bench/'
bench_test_root = 'data/synthetic-nus-bench-test/'
# the devkit reads the val scenes of each set: val = tuning split, test = held-out split
bench_val_ann = bench_data_root + 'nuscenes_infos_val.pkl'
bench_test_ann = bench_test_root + 'nuscenes_infos_val.pkl'
# the generated data's devkit config (25 m class ranges: what a +-25.6 m BEV sees), shipped in the
# package (mmengine configs allow no import statements, hence __import__)
bench_eval_version = __import__('os').path.join(
    __import__('importlib.util').util.find_spec(
        'distillbev').submodule_search_locations[0], 'datasets', 'synthetic',
    'detection_synthetic')
# the stock NuScenesMetric over the four classes: on val (the tuning split) while training, on the
# held-out split by tools/test.py
bench_val_evaluator = dict(type='NuScenesClassSubsetMetric', data_root=bench_data_root,
                           ann_file=bench_val_ann, eval_version=bench_eval_version)
bench_test_evaluator = dict(type='NuScenesClassSubsetMetric', data_root=bench_test_root,
                            ann_file=bench_test_ann, eval_version=bench_eval_version)
# the benchmark's LiDAR teacher, for every distillation config: its config, and the checkpoint the
# teacher stage of tools/kd_benchmark.py copies its last checkpoint to
bench_teacher_config = '{{ fileDirname }}/../../centerpoint/' \
    'centerpoint_pillar04_second_secfpn_1xb4-cyclic-8e_synthetic-nus-bench-3d.py'
bench_teacher_ckpt = 'checkpoints/centerpoint-pillar04_synthetic-nus-bench.pth'
