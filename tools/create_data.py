# Copyright (c) distillbev contributors. All rights reserved.
"""Thin wrapper around mmdet3d's stock ``tools/create_data.py`` (shipped in the wheel).

Same arguments as the stock script (it is run unchanged with ``runpy``), plus:

* ``--skip-gt-database``: do not build the GT-sampling database (cross-modal
  training does not use ``ObjectSample``; it needs mmcv ops and is slow).

and two fixes applied from outside: the stock nuScenes updater opens
``./data/nuscenes`` whatever ``--root-path`` is, so the script runs in a
temporary working directory where ``data/<dataset>`` links to the root (the
infos are then identical to an official ``data/nuscenes`` run); the KITTI
updater's 5 s sleeps per file are skipped.

Example::

    python tools/create_data.py nuscenes --root-path data/synthetic-nus \
        --out-dir data/synthetic-nus --extra-tag nuscenes --skip-gt-database
"""
import os.path as osp
import runpy
import sys


def _arg(argv, name, default=None):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return i + 1, argv[i + 1]
        if a.startswith(name + '='):
            return None, a.split('=', 1)[1]
    return None, default


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    skip_db = '--skip-gt-database' in argv
    argv = [a for a in argv if a != '--skip-gt-database']
    from distillbev.datasets.synthetic import converters as conv
    conv.add_stock_tools_to_path()
    stock = osp.join(conv.stock_tools_dir(), 'create_data.py')
    from tools.dataset_converters import update_infos_to_v2
    if skip_db:
        from tools.dataset_converters import create_gt_database as gtdb

        def _skip(*args, **kwargs):
            print('create_data.py: GT database skipped (--skip-gt-database)')

        class _SkipCreater:
            def __init__(self, *args, **kwargs):
                pass

            create = _skip

        gtdb.create_groundtruth_database = _skip
        gtdb.GTDatabaseCreater = _SkipCreater
    dataset = argv[0] if argv and not argv[0].startswith('-') else None
    i_root, root = _arg(argv, '--root-path', './data/kitti')
    i_out, out = _arg(argv, '--out-dir', './data/kitti')
    same = osp.abspath(root) == osp.abspath(out)
    if dataset in conv.STOCK_LINK and same and i_root is not None and i_out is not None:
        with conv.stock_layout(dataset, root) as rel, conv.no_sleep(update_infos_to_v2):
            argv[i_root] = argv[i_out] = rel
            sys.argv = [stock] + argv
            runpy.run_path(stock, run_name='__main__')
    else:
        if dataset == 'nuscenes' and not same:
            print('create_data.py: warning: the stock nuScenes converter writes the v1 infos '
                  'to --root-path and reads them from --out-dir; use the same folder.')
        with conv.no_sleep(update_infos_to_v2):
            sys.argv = [stock] + argv
            runpy.run_path(stock, run_name='__main__')


if __name__ == '__main__':
    main()
