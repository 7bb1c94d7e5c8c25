# Copyright (c) distillbev contributors. All rights reserved.
"""`mim` runs distillbev configs: `mim train mmdet3d CFG` (mmdet3d's own tools/train.py, the config
imports distillbev through custom_imports), and `mim train distillbev CFG` from a regular
(non-editable) install and from the editable install `make env` makes, which find the config and
the training script in distillbev/.mim."""
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from helpers.runs import REPO, run_tool, tiny_run_options

CONFIG = 'centerpoint_pillar04_second_secfpn_1xb4-cyclic-8e_synthetic-nus-3d.py'


def test_mim_train_mmdet3d_with_custom_imports(synthetic_nus, synthetic_nus_infos, tmp_path):
    root, _ = synthetic_nus
    work = tmp_path / 'work'
    out = run_tool(['-m', 'mim', 'train', 'mmdet3d', str(REPO / 'configs' / 'centerpoint' / CONFIG),
                    '--work-dir', str(work)] + tiny_run_options(root, 1), tmp_path / 'mim.log')
    assert osp.join('mmdet3d', '.mim', 'tools', 'train.py') in out.splitlines()[0]
    assert (work / 'epoch_1.pth').exists()


@pytest.fixture(scope='module')
def regular_install(tmp_path_factory):
    """`pip install --no-deps .` of a clean copy of the checkout into a target directory."""
    tmp = tmp_path_factory.mktemp('mim_install')
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    src = tmp / 'src'
    for name in files:
        if osp.isfile(REPO / name):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    target = tmp / 'site'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-build-isolation',
                    '--target', str(target), str(src)], check=True, capture_output=True,
                   timeout=600)
    return target


def test_regular_install_ships_configs_and_tools(regular_install):
    mim_dir = regular_install / 'distillbev' / '.mim'
    assert (mim_dir / 'tools' / 'train.py').is_file()
    assert (mim_dir / 'configs' / 'centerpoint' / CONFIG).is_file()
    assert not (mim_dir / 'configs').is_symlink()


def test_mim_train_distillbev_from_regular_install(synthetic_nus, synthetic_nus_infos,
                                                   regular_install, tmp_path):
    root, _ = synthetic_nus
    work = tmp_path / 'work'
    # only the config's name: mim looks it up in the installed package's .mim/configs
    out = run_tool(['-m', 'mim', 'train', 'distillbev', CONFIG, '--work-dir', str(work)] +
                   tiny_run_options(root, 1), tmp_path / 'mim.log', cwd=tmp_path,
                   env=dict(PYTHONPATH=str(regular_install)))
    assert str(regular_install / 'distillbev' / '.mim' / 'configs') in out
    assert str(regular_install / 'distillbev' / '.mim' / 'tools' / 'train.py') in out
    assert (work / 'epoch_1.pth').exists()


def test_mim_train_distillbev_from_the_editable_install(synthetic_nus, synthetic_nus_infos,
                                                        tmp_path):
    """`make env` links <site-packages>/distillbev to the checkout (a PEP 660 editable install
    alone leaves mim nothing to find there); run from outside the checkout."""
    import sysconfig
    link = osp.join(sysconfig.get_paths()['purelib'], 'distillbev')
    if not osp.islink(link):
        pytest.skip('distillbev was not installed by tools/install_env.sh (no site-packages link)')
    root, _ = synthetic_nus
    work = tmp_path / 'work'
    out = run_tool(['-m', 'mim', 'train', 'distillbev', CONFIG, '--work-dir', str(work)] +
                   tiny_run_options(root, 1), tmp_path / 'mim.log', cwd=tmp_path)
    assert str(REPO / 'configs' / 'centerpoint' / CONFIG) in out
    assert osp.join('distillbev', '.mim', 'tools', 'train.py') in out
    assert (work / 'epoch_1.pth').exists()
