#!/usr/bin/env bash
# Distributed training with torchrun:  bash tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT (see dist_launch.sh).
set -euo pipefail
exec bash "$(dirname "$0")/dist_launch.sh" train.py "$2" "$1" "${@:3}"
