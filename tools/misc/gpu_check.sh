#!/usr/bin/env bash
# The GPU check of docs/benchmarks.md, one prepared script: on generated scenes at 640 px,
# train the ResNet-50 photo recipe for one epoch with --amp, test it, train one epoch
# under torchrun on one GPU, and benchmark train / inference img/s and memory of the
# torchvision backbones beside the FCOS peer. Figures go to $OUT (default
# work_dirs/gpu_check): the logs, bench.json and metrics.json.
#   tools/misc/gpu_check.sh                      # on a CUDA machine
#   AMP= NUM_TRAIN=4 NUM_VAL=2 BENCH_ITERS=1 tools/misc/gpu_check.sh   # dry run, CPU
set -euo pipefail
OUT=${OUT:-work_dirs/gpu_check}
NUM_TRAIN=${NUM_TRAIN:-1600}
NUM_VAL=${NUM_VAL:-400}
AMP=${AMP---amp}
PYTHON=${PYTHON:-python}
BENCH_ITERS=${BENCH_ITERS:-10}
CONFIG=configs/t2_r50_coco_format.py
mkdir -p "$OUT"
DATA="$OUT/data"
if [ ! -f "$DATA/annotations/val.json" ]; then
    "$PYTHON" tools/misc/make_synthetic_dataset.py --out "$DATA" --num-train "$NUM_TRAIN" \
        --num-val "$NUM_VAL" --num-train-clips 0 --num-val-clips 0 --no-audio \
        --width 640 --height 480
fi
OPTS=()
for split in train val test; do
    OPTS+=("${split}_dataloader.dataset.data_root=$DATA/" "${split}_dataloader.dataset.data_prefix.img=")
done
OPTS+=(train_dataloader.dataset.ann_file=annotations/train.json
       val_dataloader.dataset.ann_file=annotations/val.json
       test_dataloader.dataset.ann_file=annotations/val.json
       model.backbone.init_cfg=None train_cfg.max_epochs=1 train_cfg.val_interval=1)
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
"$PYTHON" tools/train.py "$CONFIG" $AMP --work-dir "$OUT/amp" \
    --cfg-options "${OPTS[@]}" > "$OUT/train_amp.log" 2>&1
"$PYTHON" tools/test.py "$CONFIG" "$OUT/amp/epoch_1.pth" --work-dir "$OUT/amp" \
    --out "$OUT/metrics.json" --cfg-options "${OPTS[@]}" > "$OUT/test.log" 2>&1
PYTHON="$PYTHON" bash tools/dist_train.sh "$CONFIG" 1 $AMP --work-dir "$OUT/torchrun" \
    --cfg-options "${OPTS[@]}" > "$OUT/train_torchrun.log" 2>&1
"$PYTHON" tools/analysis_tools/benchmark.py "$CONFIG" --iters "$BENCH_ITERS" --warmup 2 \
    --backbones resnet18,mobilenet_v3_large,efficientnet_b0,convnext_tiny \
    --out "$OUT/bench.json" --cfg-options "${OPTS[@]}" \
    "train_dataloader.dataset.pipeline.2.scales=[(640,640)]" > "$OUT/bench.log" 2>&1
grep -h "training finished\|final val" "$OUT/train_amp.log" "$OUT/train_torchrun.log" || true
grep -h "^maxsight\|^fcos" "$OUT/bench.log" || true
echo "figures in $OUT"
