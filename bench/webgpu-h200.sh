#!/bin/sh
# The issue's H200 measurement in one run (DEVELOPERS.md, the device machine): WGSL matmul
# TFLOP/s at 4096^3 and 8192^3 against PyTorch fp32 matmul with TF32 off, and GPT-2-124M-
# shaped training tokens/s (B=4, T=1024, AdamW, clipping) against PyTorch eager fp32, all
# measured by `node dist/bench/webgpu.js --torch` (PyTorch side: bench/webgpu_torch.py).
# Both WGSL matmul variants run: the tiled default and the subgroup one
# (ANVIL_WEBGPU_MATMUL=subgroup) where the adapter offers `subgroups` (the run says when it
# does not); each matmul line and the training line print both, and --json holds both.
# Needs the Vulkan loader (libvulkan1) and NVIDIA's Vulkan ICD; on the lent machine the ICD
# sits under /usr/local/nvidia (the device README says how to carry the loader .debs).
# Usage: sh bench/webgpu-h200.sh [--json]
set -e
cd "$(dirname "$0")/.."
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "$VK_DRIVER_FILES" ] && [ -f "$ICD" ]; then export VK_DRIVER_FILES="$ICD"; fi
if ! ldconfig -p | grep -q libvulkan.so.1; then
  echo "webgpu-h200: libvulkan.so.1 (Debian package libvulkan1) is missing" >&2
  exit 1
fi
[ -f dist/bench/webgpu.js ] || npx tsc -p tsconfig.json >/dev/null || true
exec node dist/bench/webgpu.js --sizes 4096,8192 --model gpt2-124m --batch 4 --context 1024 --steps 5 --no-cpu --torch "$@"
