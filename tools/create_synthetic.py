# Copyright (c) distillbev contributors. All rights reserved.
"""Generate a synthetic dataset in the official nuScenes or KITTI layout.

Examples::

    python tools/create_synthetic.py nuscenes --out data/synthetic-nus --scenes 10
    python tools/create_synthetic.py kitti --out data/synthetic-kitti --frames 200 --val-fraction 0.4
    # then the stock converter (thin wrapper of mmdet3d's tools/create_data.py):
    python tools/create_data.py nuscenes --root-path data/synthetic-nus \
        --out-dir data/synthetic-nus --extra-tag nuscenes
    python tools/create_data.py kitti --root-path data/synthetic-kitti \
        --out-dir data/synthetic-kitti --extra-tag kitti
"""
import argparse
import json


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('dataset', choices=['nuscenes', 'kitti'])
    p.add_argument('--out', required=True, help='dataset root to write')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--img-size', type=int, nargs=2, metavar=('H', 'W'), default=None,
                   help='image size (nuScenes default 128 352, KITTI 188 620)')
    p.add_argument('--objects', type=int, default=None, help='objects per scene / frame')
    p.add_argument('--classes', nargs='+', default=None,
                   help='nuScenes: place only these detection classes (default: all ten)')
    # nuScenes
    p.add_argument('--scenes', type=int, default=10, help='nuScenes: annotated scenes')
    p.add_argument('--samples', type=int, default=10, help='nuScenes: keyframes per scene')
    p.add_argument('--version', default='v1.0-trainval',
                   choices=['v1.0-trainval', 'v1.0-mini'], help='nuScenes version')
    p.add_argument('--val-fraction', type=float, default=None)
    p.add_argument('--test-scenes', type=int, default=1,
                   help='nuScenes: scenes of an extra v1.0-test version (0: none)')
    p.add_argument('--lidar-sweeps', type=int, default=9)
    p.add_argument('--cam-sweeps', type=int, default=0)
    p.add_argument('--beams', type=int, default=None)
    p.add_argument('--azimuth-res', type=float, default=None, help='LiDAR azimuth step (deg)')
    # KITTI
    p.add_argument('--frames', type=int, default=40, help='KITTI: labelled frames')
    p.add_argument('--test-frames', type=int, default=2, help='KITTI: testing/ frames')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from distillbev.datasets import synthetic as syn
    opt = {}
    if args.img_size:
        opt['img_size'] = tuple(args.img_size)
    if args.objects is not None:
        opt['num_objects'] = args.objects
    if args.beams is not None:
        opt['num_beams'] = args.beams
    if args.azimuth_res is not None:
        opt['azimuth_res'] = args.azimuth_res
    if args.val_fraction is not None:
        opt['val_fraction'] = args.val_fraction
    if args.classes:
        if args.dataset != 'nuscenes':
            raise SystemExit('--classes applies to the nuScenes layout only')
        opt['classes'] = args.classes
    if args.dataset == 'nuscenes':
        out = syn.generate_nuscenes(
            args.out, num_scenes=args.scenes, samples_per_scene=args.samples, seed=args.seed,
            version=args.version, test_scenes=args.test_scenes, lidar_sweeps=args.lidar_sweeps,
            cam_sweeps=args.cam_sweeps, **opt)
    else:
        out = syn.generate_kitti(args.out, num_frames=args.frames, seed=args.seed,
                                 test_frames=args.test_frames, **opt)
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
