#!/usr/bin/env bash
# torchrun launcher behind dist_train.sh and dist_test.sh:
#   bash tools/dist_launch.sh SCRIPT GPUS [SCRIPT args]     (SCRIPT: train.py or test.py)
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT.
set -euo pipefail
SCRIPT=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
exec torchrun --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --nproc_per_node="$GPUS" --master_port="$PORT" \
  "$(dirname "$0")/$SCRIPT" --launcher pytorch "${@:3}"
