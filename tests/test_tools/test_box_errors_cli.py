# Copyright (c) distillbev contributors. All rights reserved.
"""tools/box_errors.py on a generated nuScenes-layout set with a BEVDet student checkpoint."""
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import init_default_scope

import distillbev  # noqa: F401
from distillbev.engine.checkpoint import atomic_save_checkpoint

REPO = Path(__file__).resolve().parents[2]
CFG = REPO / 'configs' / 'students' / 'bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py'


def test_box_errors_counts_the_split_labels(synthetic_nus, synthetic_nus_infos, tmp_path):
    from mmdet3d.registry import MODELS
    root = synthetic_nus[0].rstrip('/') + '/'
    cfg = Config.fromfile(str(CFG))
    init_default_scope('mmdet3d')
    ckpt = str(tmp_path / 'student.pth')
    atomic_save_checkpoint(dict(state_dict=MODELS.build(cfg.model).state_dict()), ckpt)
    out = tmp_path / 'errors.json'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run(
        [sys.executable, 'tools/box_errors.py', str(CFG), ckpt, '--split', 'val',
         '--max-samples', '2', '--score-thr', '0', '--out', str(out),
         '--cfg-options', f'val_dataloader.dataset.data_root={root}'],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    result = json.load(open(out))
    assert result['frames'] == 2 and '| class | num_gt | recall |' in proc.stdout
    # the labels counted are those of the val infos' first two frames that NuScenesDataset
    # keeps: a class of the config, hit by LiDAR points
    with open(root + cfg.val_dataloader.dataset.ann_file, 'rb') as f:
        infos = pickle.load(f)
    categories = {v: k for k, v in infos['metainfo']['categories'].items()}
    expected = dict.fromkeys(cfg.class_names, 0)
    for info in infos['data_list'][:2]:
        for inst in info['instances']:
            name = categories.get(inst['bbox_label_3d'])
            if name in expected and inst['num_lidar_pts'] > 0:
                expected[name] += 1
    assert sum(expected.values()) > 0
    assert {k: row['num_gt'] for k, row in result['stats'].items()} == expected
