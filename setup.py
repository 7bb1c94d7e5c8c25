# Copyright (c) distillbev contributors. All rights reserved.
"""Install distillbev as an MMDetection3D 1.x plugin.

Like OpenMMLab's own packages, the configs, tools and model index are shipped inside the package
as ``distillbev/.mim/{configs,tools,model-index.yml}`` so that ``mim train distillbev CFG`` finds
them: copied for ``pip install .`` (wheel / sdist builds), symlinked for ``pip install -e .``.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ['configs', 'tools', 'model-index.yml']


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'distillbev', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of a requirements file, without comments and pip options."""
    reqs = []
    with open(osp.join(HERE, fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def add_mim_extension() -> None:
    """Place configs/tools/model-index.yml under distillbev/.mim for mim."""
    editable = any(cmd in sys.argv for cmd in ('develop', 'editable_wheel'))
    building = any(cmd in sys.argv for cmd in ('bdist_wheel', 'sdist', 'build', 'build_py',
                                               'install', 'egg_info'))
    if not (editable or building):
        return
    mim_root = osp.join(HERE, 'distillbev', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        dst = osp.join(mim_root, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim_root), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()

setup(
    name='distillbev',
    version=read_version(),
    description='Cross-modal (LiDAR -> camera) knowledge distillation for 3D object detection, '
    'as an MMDetection3D 1.x plugin',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    python_requires='>=3.8',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects', 'docker')),
    include_package_data=True,
    package_data={'distillbev': ['.mim/**/*', '.mim/*', '**/*.json']},
    # Loose ranges (the exact, tested set is requirements/*.txt, installed by tools/install_env.sh).
    install_requires=[
        'torch>=2.0', 'numpy>=1.23,<2', 'mmengine>=0.8.0,<1.0.0', 'mmcv>=2.0.0rc4,<2.2.0',
        'mmdet>=3.0.0,<3.4.0', 'mmdet3d>=1.4.0,<1.5.0', 'nuscenes-devkit>=1.1.10', 'Pillow',
        'scipy'
    ],
    extras_require={
        'tests': parse_requirements('requirements/tests.txt'),
        'mim': ['openmim>=0.3.9'],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
        'Operating System :: POSIX :: Linux',
    ],
    zip_safe=False,
)
