# Copyright (c) distillbev contributors. All rights reserved.
"""End to end through the command-line tools: tools/train.py trains the synthetic-nuScenes
CenterPoint teacher for one (tiny) epoch and saves, a second run resumes from that checkpoint
with ``--resume`` and trains one more epoch, and tools/test.py evaluates the result with the
stock NuScenesMetric (nuscenes-devkit) and writes the metrics with ``--out-metrics``."""
import json
import math
import os.path as osp
import re
import sys

import pytest
from helpers.runs import run_tool, tiny_run_options

CONFIG = ('configs/centerpoint/'
          'centerpoint_pillar04_second_secfpn_1xb4-cyclic-20e_synthetic-nus-3d.py')


def test_train_resume_and_test(synthetic_nus, synthetic_nus_infos, tmp_path):
    import mmengine
    import torch
    root, _ = synthetic_nus
    # 1 train scene x 3 keyframes: 3 iterations per epoch at batch 1
    assert len(mmengine.load(osp.join(root, 'nuscenes_infos_train.pkl'))['data_list']) == 3
    work = tmp_path / 'work'

    # 1) one epoch (3 iterations), checkpoint epoch_1.pth
    run_tool(['tools/train.py', CONFIG, '--work-dir', str(work)] + tiny_run_options(root, 1),
             tmp_path / 'train1.log')
    first = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=False)
    assert (first['meta']['epoch'], first['meta']['iter']) == (1, 3)
    assert (work / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')

    # 2) --resume (latest checkpoint of the work dir) to epoch 2: restarts at iteration 3
    out = run_tool(['tools/train.py', CONFIG, '--work-dir', str(work), '--resume'] +
                   tiny_run_options(root, 2), tmp_path / 'train2.log')
    assert re.search(r'resumed epoch: 1, iter: 3', out), out[-3000:]
    iters = [int(m) for m in re.findall(r'Epoch\(train\)\s+\[2\]\[\s*(\d+)/3\]', out)]
    assert iters and min(iters) >= 1 and not re.search(r'Epoch\(train\)\s+\[1\]', out)
    second = torch.load(work / 'epoch_2.pth', map_location='cpu', weights_only=False)
    assert (second['meta']['epoch'], second['meta']['iter']) == (2, 6)
    # the optimizer state came back too (AdamW step counts continue from 3)
    steps = {int(s['step']) for s in second['optimizer']['state'].values()}
    assert steps == {6}, steps
    w_key = 'pts_voxel_encoder.pfn_layers.0.linear.weight'
    assert not torch.equal(first['state_dict'][w_key], second['state_dict'][w_key])

    # 3) stock NuScenesMetric through tools/test.py, metrics written as JSON
    metrics_file = tmp_path / 'metrics.json'
    run_tool(['tools/test.py', CONFIG, str(work / 'epoch_2.pth'), '--work-dir',
              str(work / 'test'), '--out-metrics', str(metrics_file)] +
             tiny_run_options(root, 2), tmp_path / 'test.log')
    metrics = json.loads(metrics_file.read_text())
    for key in ('NuScenes metric/pred_instances_3d_NuScenes/mAP',
                'NuScenes metric/pred_instances_3d_NuScenes/NDS'):
        assert key in metrics, sorted(metrics)[:20]
        assert math.isfinite(metrics[key]) and 0.0 <= metrics[key] <= 1.0, (key, metrics[key])
    assert osp.isdir(work / 'test')


if __name__ == '__main__':  # pragma: no cover
    sys.exit(pytest.main([__file__, '-q']))
