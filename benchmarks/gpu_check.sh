#!/usr/bin/env bash
# The prepared GPU check (about 5 minutes on one GPU): is the GPU path right, and how fast is it?
#   1. speed.py at the paper preset's size on cuda, every architecture (ar: decoder, mlm-15: encoder,
#      mlm-u and plm: encoder-decoder): training tokens/s, model FLOPs utilisation against the GPU's
#      measured bf16 matmul peak, beside Hugging Face GPT-2/BERT where transformers is installed;
#   2. gpu_train_check.py: 200 real training steps of each architecture at the tiny preset on the
#      GPU through the library (checkpoint, resume state, generation, eval.json), with exact match;
#   3. packing.py on cuda: 100 tiny steps of K = 1 and 4 models as separate processes and as one pack
#      (a decoder and the encoder-decoder), tokens/s side by side: what packing the seeds gains on a GPU.
# Usage, in the repository root of a machine with a GPU and torch:
#   benchmarks/gpu_check.sh                 # CSVs in results/bench/ (or $OUT when set)
# Goals (issue 17): MFU >= 35% for the decoder, >= 25% for the encoder-decoder on an H200.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-results/bench}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"  # the library without installing it
$PY -c 'import torch; assert torch.cuda.is_available(), "no CUDA device"; print("torch", torch.__version__, "on", torch.cuda.get_device_name(), "bf16:", torch.cuda.is_bf16_supported())'
HF=()
$PY -c 'import transformers' 2>/dev/null || { HF=(--no-hf); echo "gpu_check: transformers not installed, no Hugging Face rows"; }
timeout 240 $PY benchmarks/speed.py --sizes paper --device cuda --precision auto --objectives ar mlm-15 mlm-u plm \
    --steps 10 --warmup 3 --questions 256 --one-at-a-time 16 "${HF[@]}" --out "$OUT/speed-cuda.csv"
timeout 150 $PY benchmarks/gpu_train_check.py --steps 200 --out "$OUT/gpu-train-check.csv"
timeout 120 $PY benchmarks/packing.py --device cuda --tasks retrieval --objectives ar mlm-u --sizes tiny --packs 1 4 \
    --steps 100 --warmup 10 --out "$OUT/packing-cuda.csv"
echo "gpu_check: wrote $OUT/speed-cuda.csv, $OUT/gpu-train-check.csv and $OUT/packing-cuda.csv"
