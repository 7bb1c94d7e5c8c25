# Copyright (c) distillbev contributors. All rights reserved.
"""Add what temporal students read (scene, previous/next key frame, frame index, the 18-d
CAN-bus vector or its ego-motion equivalent) to mmdet3d's v2 nuScenes infos.

    python tools/add_temporal_infos.py --root data/nuscenes --version v1.0-trainval \\
        [--infos nuscenes_infos_train.pkl nuscenes_infos_val.pkl] [--suffix _temporal]

See :mod:`distillbev.datasets.temporal_infos` for the keys and where each comes from.
"""
import argparse
import os.path as osp

from distillbev.datasets.temporal_infos import add_temporal_infos


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--root', required=True)
    p.add_argument('--version', default='v1.0-trainval')
    p.add_argument('--infos', nargs='+',
                   default=['nuscenes_infos_train.pkl', 'nuscenes_infos_val.pkl'])
    p.add_argument('--suffix', default='_temporal',
                   help="written next to each info file; '' overwrites it")
    args = p.parse_args()
    paths = [i if osp.isabs(i) else osp.join(args.root, i) for i in args.infos]
    for path, count in add_temporal_infos(args.root, args.version, paths, args.suffix).items():
        print(f'{path}: {sum(count.values())} key frames, CAN bus from the expansion: '
              f"{count['can_bus']}, from the ego poses: {count['ego_pose']}")


if __name__ == '__main__':
    main()
