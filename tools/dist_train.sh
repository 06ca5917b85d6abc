#!/usr/bin/env bash
# Multi-process training with torchrun, one process per GPU (or CPU process):
#   tools/dist_train.sh CONFIG GPUS_PER_NODE [train.py options]
# Several machines: run it on each with the same NNODES, MASTER_ADDR and PORT and its own
# NODE_RANK (0 on the machine at MASTER_ADDR), as mmdetection's script does:
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 PORT=29500 tools/dist_train.sh CONFIG 8
# nccl on GPUs, gloo without (chosen by the runner). PYTHON may name the interpreter.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS_PER_NODE [train.py options]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PORT=${PORT:-29500}
PYTHON=${PYTHON:-python}
"$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "${@:3}"
