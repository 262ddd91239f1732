#!/usr/bin/env bash
# The GPU checks in one command, for a machine with a CUDA device, PyTorch, Triton and PyG (no install):
#
#   COGDL_DATA=<folder holding pubmed/> bash benchmarks/gpu.sh OUT_DIR [ROUNDS]
#
# 1. `cogdl bench ops --device cuda`: SpMM and the GCN/GAT layers against torch.sparse (cuSPARSE), PyG
#    and DGL where DGL imports, on the Cora-sized, 100k/1M and 1M/10M graphs;
# 2. `cogdl bench train --device cuda`: GCN and GAT training epochs on PubMed;
# 3. benchmarks/gpu_parity.py: every op (forward and gradients) and the GCN/GAT layers, Triton on the
#    GPU against the reference kernels on the CPU.
# Each writes its log, JSON and Markdown table (the `bench:ops-cuda` / `bench:train-cuda` blocks of
# docs/performance.md, copied in by hand) into OUT_DIR. The source runs from this checkout
# (PYTHONPATH), so nothing is installed; COGDL_GIT_COMMIT names the commit where .git is absent.
set -uo pipefail
out=${1:?usage: benchmarks/gpu.sh OUT_DIR [ROUNDS]}
rounds=${2:-20}
mkdir -p "$out"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/device.txt"
python3 -c "import torch, triton, torch_geometric as g; print('torch', torch.__version__, 'triton', triton.__version__, 'pyg', g.__version__)" | tee -a "$out/device.txt"
for what in ops train; do
  python3 -m cogdl bench "$what" --device cuda --rounds "$rounds" --json "$out/$what-cuda.json" \
    --markdown "$out/$what-cuda.md" 2>&1 | tee "$out/$what-cuda.log" || status=1
done
python3 benchmarks/gpu_parity.py 2>&1 | tee "$out/parity.log" || status=1
exit $status
