# Copyright (c) distillbev contributors. All rights reserved.
"""The import-time environment check names the problem and the fix."""
import importlib.util
from importlib import metadata

import pytest

from distillbev.utils import env


def _fake_versions(monkeypatch, **versions):
    real = metadata.version

    def version(name):
        if name in versions:
            if versions[name] is None:
                raise metadata.PackageNotFoundError(name)
            return versions[name]
        if name == 'mmcv-lite':
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(env.metadata, 'version', version)


def test_installed_stack_passes():
    env.check_environment()


@pytest.mark.parametrize('name,bad', [('mmcv', '2.2.0'), ('mmdet', '3.4.0'),
                                      ('mmdet3d', '1.3.0'), ('mmengine', '1.0.0')])
def test_version_outside_window(monkeypatch, name, bad):
    _fake_versions(monkeypatch, **{name: bad})
    with pytest.raises(env.DistillBEVEnvironmentError) as err:
        env.check_environment()
    msg = str(err.value)
    assert f'{name} {bad} is installed' in msg
    assert f'pip install {name}==' in msg and 'install_env.sh' in msg


def test_missing_package(monkeypatch):
    _fake_versions(monkeypatch, mmdet3d=None)
    with pytest.raises(env.DistillBEVEnvironmentError, match='mmdet3d is not installed'):
        env.check_environment()


def test_mmcv_lite_is_rejected(monkeypatch):
    _fake_versions(monkeypatch, **{'mmcv-lite': '2.1.0'})
    with pytest.raises(env.DistillBEVEnvironmentError, match='mmcv-lite is installed') as err:
        env.check_environment()
    assert 'MMCV_WITH_OPS=1' in str(err.value)


def test_mmcv_without_ops_is_rejected(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(env.importlib.util, 'find_spec',
                        lambda name, *a: None if name == 'mmcv._ext' else real(name, *a))
    with pytest.raises(env.DistillBEVEnvironmentError, match='without its compiled ops') as err:
        env.check_environment()
    assert 'MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0' in str(err.value)
