#!/usr/bin/env bash
# Creates (or reuses) the virtual environment .venv in the checkout and installs the pinned
# stack and distillbev into it. Idempotent: a stamp of the requirement files makes a second run
# skip the install. Used by `make env` / `make test` / `make demo`.
#
#   VENV=.venv PYTHON=python3.11 bash tools/install_env.sh
#
# The mmcv 2.1.0 build from source (compiled CPU ops; CUDA ops too when nvcc and a CUDA torch
# are present) takes ~20 minutes on 2 cores. pip stores the built wheel in its cache
# (~/.cache/pip), so later installs on the same machine take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
PIP_FLAGS=${PIP_FLAGS:-}

stamp_src=$(cat requirements/*.txt setup.py tools/install_env.sh | sha256sum | cut -d' ' -f1)
stamp_file="$VENV/.distillbev-env-stamp"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[install_env] creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
py="$VENV/bin/python"
pip="$py -m pip"

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_src" ]; then
  echo "[install_env] $VENV is up to date (stamp $stamp_src)"
  exit 0
fi

t0=$(date +%s)
echo "[install_env] build stack (torch, setuptools<81, numpy<2)"
$pip install $PIP_FLAGS -r requirements/build.txt
echo "[install_env] runtime stack (pinned, --no-deps: no open3d, no torchvision)"
$pip install $PIP_FLAGS --no-deps -r requirements/runtime.txt -r requirements/tests.txt
if ! $py -c "import mmcv, sys; from mmcv.ops import nms; sys.exit(mmcv.__version__ != '2.1.0')" 2>/dev/null; then
  echo "[install_env] mmcv 2.1.0 with compiled ops: building from the sdist (~20 min on 2 cores the"
  echo "[install_env] first time on a machine, seconds afterwards from pip's wheel cache)"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    $pip install $PIP_FLAGS --no-deps --no-build-isolation -r requirements/mmcv.txt
fi
echo "[install_env] distillbev (editable)"
$pip install $PIP_FLAGS --no-deps --no-build-isolation -e .
# `mim train distillbev CFG` looks for <site-packages>/distillbev/.mim (pkg_resources' location of
# the distribution); a PEP 660 editable install has no such folder, so link the package there
site=$($py -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
if [ ! -e "$site/distillbev" ] || [ -L "$site/distillbev" ]; then
  ln -sfn "$PWD/distillbev" "$site/distillbev"
fi
$py -c "import distillbev; print('[install_env] distillbev', distillbev.__version__, 'imports')"
echo "$stamp_src" > "$stamp_file"
echo "[install_env] done in $(( $(date +%s) - t0 )) s"
