# distillbev: the two commands of the README.
#   make test   set up .venv (pinned stack, mmcv built once per machine) and run the test suite
#   make demo   set up .venv and run the demo on the generated nuScenes-layout dataset
#   make demo-kitti   its KITTI part: the monocular methods on the generated KITTI layout
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# pytest-xdist: test files spread over this many worker processes (1 thread each on 2 cores)
TEST_WORKERS ?= 2

.PHONY: env test demo demo-kitti clean-env

env:
	VENV=$(VENV) PYTHON=$(PYTHON) bash tools/install_env.sh

test: env
	$(PY) -m pytest tests -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

demo: env
	$(PY) tools/demo.py $(DEMO_ARGS)

demo-kitti: env
	$(PY) tools/demo.py --dataset kitti $(DEMO_ARGS)

clean-env:
	rm -rf $(VENV)
