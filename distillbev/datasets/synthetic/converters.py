# Copyright (c) distillbev contributors. All rights reserved.
"""Run mmdet3d's stock dataset converters (``mmdet3d/.mim/tools``) programmatically.

Nothing is copied: the stock ``tools`` folder shipped in the mmdet3d wheel is put
on ``sys.path`` and its functions are called. Two quirks of the stock code are
handled from outside:

* ``update_nuscenes_infos`` opens ``NuScenes(dataroot='./data/nuscenes')``
  whatever the root is, so conversion runs in a temporary working directory
  where ``data/nuscenes`` (or ``data/kitti``) is a symlink to the root; the
  info paths therefore look exactly as with the official layout.
* ``update_kitti_infos`` sleeps 5 s per file when it overwrites; the sleep is
  skipped (``time.sleep`` of that module only, restored afterwards).
"""
import contextlib
import os
import os.path as osp
import sys
import tempfile
from typing import Iterator

STOCK_LINK = {'nuscenes': 'data/nuscenes', 'kitti': 'data/kitti'}


def stock_tools_dir() -> str:
    """Folder holding mmdet3d's stock ``create_data.py`` (``mmdet3d/.mim/tools``)."""
    import importlib.util
    spec = importlib.util.find_spec('mmdet3d')
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('mmdet3d is not installed; pip install mmdet3d==1.4.0')
    path = osp.join(list(spec.submodule_search_locations)[0], '.mim', 'tools')
    if not osp.exists(osp.join(path, 'create_data.py')):
        raise FileNotFoundError(f'{path}/create_data.py not found: reinstall mmdet3d from a '
                                'wheel (mim files missing)')
    return path


def add_stock_tools_to_path():
    """Make ``import tools.dataset_converters...`` resolve to mmdet3d's stock tools."""
    mim = osp.dirname(stock_tools_dir())
    if mim not in sys.path:
        sys.path.insert(0, mim)
    mod = sys.modules.get('tools')
    if mod is not None and osp.join(mim, 'tools') not in list(getattr(mod, '__path__', [])):
        # a namespace package ``tools`` from another checkout: extend it
        try:
            mod.__path__.append(osp.join(mim, 'tools'))
        except AttributeError:
            del sys.modules['tools']


@contextlib.contextmanager
def stock_layout(dataset: str, root: str) -> Iterator[str]:
    """Run inside a temp cwd where ``data/<dataset>`` links to ``root``.

    Yields:
        str: The relative root to hand to the stock code (``data/<dataset>``).
    """
    root = osp.abspath(root)
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix='distillbev_convert_') as tmp:
        link = osp.join(tmp, STOCK_LINK[dataset])
        os.makedirs(osp.dirname(link))
        os.symlink(root, link)
        os.chdir(tmp)
        try:
            yield STOCK_LINK[dataset]
        finally:
            os.chdir(old)


def run_nuscenes_converter(root: str, version: str = 'v1.0-trainval',
                           info_prefix: str = 'nuscenes', max_sweeps: int = 10,
                           with_gt_database: bool = False) -> dict:
    """Make the standard v2 infos of a nuScenes-layout dataset with the stock code.

    Runs ``create_nuscenes_infos`` and ``update_pkl_infos`` like the stock
    ``nuscenes_data_prep`` (optionally its GT database too), for one version.

    Args:
        root (str): Dataset root; the infos are written there.
        version (str): ``v1.0-trainval``, ``v1.0-mini`` or ``v1.0-test``.
        info_prefix (str): Info file prefix (``--extra-tag``).
        max_sweeps (int): LiDAR sweeps per sample in the infos.
        with_gt_database (bool): Also build the GT database (slow; unused by
            cross-modal training).

    Returns:
        dict: Absolute paths of the info files written, by split.
    """
    add_stock_tools_to_path()
    from mmengine.registry import init_default_scope
    from tools.dataset_converters import nuscenes_converter
    from tools.dataset_converters.update_infos_to_v2 import update_pkl_infos
    init_default_scope('mmdet3d')
    root = osp.abspath(root)
    splits = ['test'] if version == 'v1.0-test' else ['train', 'val']
    with stock_layout('nuscenes', root) as rel:
        nuscenes_converter.create_nuscenes_infos(rel, info_prefix, version=version,
                                                 max_sweeps=max_sweeps)
        for split in splits:
            update_pkl_infos('nuscenes', out_dir=rel,
                             pkl_path=osp.join(rel, f'{info_prefix}_infos_{split}.pkl'))
        if with_gt_database and version != 'v1.0-test':
            from tools.dataset_converters.create_gt_database import \
                create_groundtruth_database
            create_groundtruth_database('NuScenesDataset', rel, info_prefix,
                                        f'{info_prefix}_infos_train.pkl')
    return {s: osp.join(root, f'{info_prefix}_infos_{s}.pkl') for s in splits}


class _NoSleepTime:
    """Stand-in for the ``time`` module whose ``sleep`` returns at once."""

    @staticmethod
    def sleep(*_):
        return None

    def __getattr__(self, name):
        import time
        return getattr(time, name)


@contextlib.contextmanager
def no_sleep(module):
    """Make ``module.time.sleep`` a no-op (that module only) inside the block."""
    real = module.time
    module.time = _NoSleepTime()
    try:
        yield
    finally:
        module.time = real


def run_kitti_converter(root: str, info_prefix: str = 'kitti',
                        with_gt_database: bool = False) -> dict:
    """Make the standard v2 KITTI infos with the stock code (``kitti_data_prep``).

    Args:
        root (str): Dataset root; the infos are written there.
        info_prefix (str): Info file prefix.
        with_gt_database (bool): Also build the GT database.

    Returns:
        dict: Absolute paths of the info files, by split.
    """
    add_stock_tools_to_path()
    from mmengine.registry import init_default_scope
    from tools.dataset_converters import kitti_converter as kitti
    from tools.dataset_converters import update_infos_to_v2
    init_default_scope('mmdet3d')
    root = osp.abspath(root)
    splits = ('train', 'val', 'trainval', 'test')
    with stock_layout('kitti', root) as rel, no_sleep(update_infos_to_v2):
        kitti.create_kitti_info_file(rel, info_prefix, False)
        kitti.create_reduced_point_cloud(rel, info_prefix)
        for split in splits:
            update_infos_to_v2.update_pkl_infos(
                'kitti', out_dir=rel, pkl_path=osp.join(rel, f'{info_prefix}_infos_{split}.pkl'))
        if with_gt_database:
            from tools.dataset_converters.create_gt_database import \
                create_groundtruth_database
            create_groundtruth_database('KittiDataset', rel, info_prefix,
                                        f'{info_prefix}_infos_train.pkl', relative_path=False,
                                        mask_anno_path='instances_train.json', with_mask=False)
    return {s: osp.join(root, f'{info_prefix}_infos_{s}.pkl') for s in splits}
