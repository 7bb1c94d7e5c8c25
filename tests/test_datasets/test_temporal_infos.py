# Copyright (c) distillbev contributors. All rights reserved.
"""tools/add_temporal_infos.py on a generated nuScenes-layout set (no CAN-bus expansion: the
ego-motion equivalent), checked against nuscenes-devkit and the generator's ego motion."""
import pickle
import shutil

import numpy as np
from pyquaternion import Quaternion

from distillbev.datasets.temporal_infos import add_temporal_infos


def test_temporal_keys_against_devkit_and_the_ego_motion(synthetic_nus, synthetic_nus_infos,
                                                         tmp_path):
    from nuscenes import NuScenes
    root, summary = synthetic_nus
    paths = []
    for split in ('train', 'val'):
        dst = tmp_path / f'nuscenes_infos_{split}.pkl'
        shutil.copy(f'{root}/nuscenes_infos_{split}.pkl', dst)
        paths.append(str(dst))
    counts = add_temporal_infos(root, 'v1.0-trainval', paths)
    assert all(c['can_bus'] == 0 and c['ego_pose'] > 0 for c in counts.values())
    nusc = NuScenes(version='v1.0-trainval', dataroot=root, verbose=False)
    speeds = {name: world[1]['speed'] for name, world in summary['worlds'].items()}
    n = 0
    for out in counts:
        infos = pickle.load(open(out, 'rb'))['data_list']
        by_token = {i['token']: i for i in infos}
        for info in infos:
            sample = nusc.get('sample', info['token'])
            assert (info['scene_token'], info['prev'], info['next']) == (
                sample['scene_token'], sample['prev'], sample['next'])
            assert (info['frame_idx'] == 0) == (sample['prev'] == '')
            if sample['prev'] in by_token:
                assert by_token[sample['prev']]['frame_idx'] == info['frame_idx'] - 1
            bus = np.asarray(info['can_bus'])
            assert bus.shape == (18, ) and info['can_bus_source'] == 'ego_pose'
            ego2global = np.asarray(info['ego2global'])
            np.testing.assert_allclose(bus[:3], ego2global[:3, 3], atol=1e-6)
            q = Quaternion(bus[3:7])
            np.testing.assert_allclose(q.rotation_matrix, ego2global[:3, :3], atol=1e-6)
            # the generated ego drives straight at a constant speed: forward velocity = speed,
            # no lateral velocity, no acceleration, no yaw rate
            speed = speeds[nusc.get('scene', sample['scene_token'])['name']]
            np.testing.assert_allclose(bus[13:16], [speed, 0.0, 0.0], atol=1e-3)
            np.testing.assert_allclose(bus[7:13], 0.0, atol=1e-3)
            assert bus[16] == bus[17] == 0.0
            n += 1
    assert n == 6


def test_tool_writes_next_to_the_infos(synthetic_nus, synthetic_nus_infos, tmp_path):
    import subprocess
    import sys
    root, _ = synthetic_nus
    shutil.copy(f'{root}/nuscenes_infos_val.pkl', tmp_path / 'nuscenes_infos_val.pkl')
    out = subprocess.run([sys.executable, 'tools/add_temporal_infos.py', '--root', root,
                          '--infos', str(tmp_path / 'nuscenes_infos_val.pkl')],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'from the ego poses: 3' in out.stdout
    assert (tmp_path / 'nuscenes_infos_val_temporal.pkl').exists()
