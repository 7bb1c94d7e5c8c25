# Copyright (c) distillbev contributors. All rights reserved.
"""tools/visualize.py on a generated nuScenes-layout set with a BEVDet student checkpoint."""
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import distillbev  # noqa: F401
from distillbev.engine.checkpoint import atomic_save_checkpoint

REPO = Path(__file__).resolve().parents[2]
CFG = REPO / 'configs' / 'students' / 'bevdet_r18_fpn_centerhead_1xb4-12e_synthetic-nus-3d.py'


def test_visualize_student_on_generated_data(synthetic_nus, synthetic_nus_infos, tmp_path):
    from mmdet3d.registry import MODELS
    root = synthetic_nus[0].rstrip('/') + '/'
    init_default_scope('mmdet3d')
    model = MODELS.build(Config.fromfile(str(CFG)).model)
    ckpt = str(tmp_path / 'student.pth')
    atomic_save_checkpoint(dict(state_dict=model.state_dict()), ckpt)
    out = tmp_path / 'vis'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    proc = subprocess.run(
        [sys.executable, 'tools/visualize.py', str(CFG), ckpt, '--out', str(out), '--split',
         'val', '--samples', '0', '1', '--score-thr', '2',  # no detection drawn: GT only
         '--cfg-options', f'val_dataloader.dataset.data_root={root}'],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    names = sorted(p.name for p in out.iterdir())
    assert names == ['sample_0_bev.png', 'sample_0_cameras.png', 'sample_1_bev.png',
                     'sample_1_cameras.png']  # a student: no features / targets pictures
    cams = cv2.imread(str(out / 'sample_0_cameras.png'))
    bev = cv2.imread(str(out / 'sample_0_bev.png'))
    green = np.array([0, 255, 0])
    assert (np.abs(cams.astype(int) - green).sum(-1) < 60).sum() > 100  # GT boxes in the views
    assert (bev == green).all(-1).sum() > 20 and (bev == (160, 160, 160)).all(-1).sum() > 100
    assert not (bev == (0, 0, 255)).all(-1).any()  # --score-thr 2: no prediction drawn
    assert torch.load(ckpt, weights_only=True)  # the checkpoint is untouched
