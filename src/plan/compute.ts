// FLOPs, throughput, GPU-hours, wall clock and cost of a job.
//
// Convention (the one compute-figures.md uses for "implied MFU"): model FLOPs are
// k x N x D with N = all parameters, D = tokens, k = 6 for training every weight,
// 4 for LoRA/QLoRA (forward 2 + backward to the activations 2; no weight gradients
// for the frozen base), 2 for serving. Time = model FLOPs x recompute factor /
// (GPUs x dense peak x MFU). Attention FLOPs are reported beside, not added to the
// time, because the default MFUs were read off published runs in the same 6ND terms.

import { flopsPerToken, type ArchConfig } from './architecture.js';
import { DECODE_BANDWIDTH_EFFICIENCY, DEFAULT_MFU, FP8_MFU_RATIO, INFERENCE_WEIGHT_BYTES, type Gpu, type Precision } from './catalogue.js';
import { kvCacheBytes, type Checkpointing, type Mode } from './memory.js';
import { UsageError } from '../util/errors.js';

/** FLOPs per parameter per token: 6 (train all weights), 4 (adapters only), 2 (forward only). */
export function flopsFactor(mode: Mode): number {
  return mode === 'inference' ? 2 : mode === 'lora' || mode === 'qlora' ? 4 : 6;
}

/** Extra hardware work of full activation checkpointing: one more forward pass (2 N D). */
export function recomputeFactor(mode: Mode, ckpt: Checkpointing): number {
  if (mode === 'inference' || ckpt !== 'full') return 1;
  const k = flopsFactor(mode);
  return (k + 2) / k;
}

/**
 * Dense peak TFLOP/s of one device at a precision. int8/int4 serving is weight-only
 * quantization: the matmuls run in bf16.
 */
export function peakTflops(gpu: Gpu, precision: Precision): number {
  if (precision === 'fp32') return gpu.peakTflops.fp32;
  if (precision === 'fp8') {
    if (gpu.peakTflops.fp8 === undefined) {
      throw new UsageError(`--precision fp8 needs FP8 tensor cores (Hopper, Ada, Blackwell); ${gpu.id} has none; accepted for it: fp32, bf16`);
    }
    return gpu.peakTflops.fp8;
  }
  return gpu.peakTflops.bf16;
}

/** The catalogue's MFU for a device class and precision, with its source. */
export function defaultMfu(gpu: Gpu, precision: Precision): { mfu: number; source: string } {
  const base = DEFAULT_MFU[gpu.class];
  if (precision === 'fp8') return { mfu: base.mfu * FP8_MFU_RATIO.ratio, source: `${base.source}; x${FP8_MFU_RATIO.ratio} for FP8 (${FP8_MFU_RATIO.source})` };
  return { mfu: base.mfu, source: base.source };
}

export interface ComputeInput {
  arch: ArchConfig;
  params: number;
  tokens: number;
  mode: Mode;
  seqLen: number;
  microBatch: number;
  checkpointing: Checkpointing;
  precision: Precision;
  gpu: Gpu;
  gpus: number;
  mfu: number;
  pricePerGpuHour: number;
}

export interface ComputeResult {
  /** k N D model FLOPs (6ND for training). */
  flops: number;
  /** The same with the attention matmuls added (12 L H D T per token for training). */
  flopsWithAttention: number;
  /** What the hardware executes, recomputation included. */
  hardwareFlops: number;
  tokensPerSecond: number;
  tokensPerSecondPerGpu: number;
  gpuHours: number;
  wallClockHours: number;
  costUsd: number;
}

/** FLOPs, speed, time and money of a job. */
export function compute(c: ComputeInput): ComputeResult {
  const k = flopsFactor(c.mode);
  const flops = k * c.params * c.tokens;
  const perToken = flopsPerToken(c.arch, c.seqLen);
  const flopsWithAttention = flops + (k / 6) * perToken.attention * c.tokens;
  const hardwareFlops = flops * recomputeFactor(c.mode, c.checkpointing);
  const computeRate = c.gpus * peakTflops(c.gpu, c.precision) * 1e12 * c.mfu; // FLOP/s
  let tokensPerSecond = (computeRate * c.tokens) / hardwareFlops;
  if (c.mode === 'inference') {
    // Each decode step reads all weights and the cache once for the whole batch, so a
    // step lasts at least bytes / bandwidth; with a big batch compute takes over. Over
    // several GPUs the layers are split (llama.cpp's default): one GPU works at a time,
    // so the bytes are read at one GPU's bandwidth.
    const weightBytes = c.params * INFERENCE_WEIGHT_BYTES[c.precision];
    const kvBytes = kvCacheBytes(c.arch, c.seqLen / 2, c.microBatch, c.precision === 'fp32' ? 4 : 2); // half-full cache on average
    const memoryTime = (weightBytes + kvBytes) / (c.gpu.bandwidthGBs * 1e9 * DECODE_BANDWIDTH_EFFICIENCY.share);
    const computeTime = (c.microBatch * 2 * c.params) / computeRate;
    tokensPerSecond = c.microBatch / Math.max(memoryTime, computeTime);
  }
  const wallClockHours = c.tokens / tokensPerSecond / 3600;
  const gpuHours = wallClockHours * c.gpus;
  return {
    flops,
    flopsWithAttention,
    hardwareFlops,
    tokensPerSecond,
    tokensPerSecondPerGpu: tokensPerSecond / c.gpus,
    gpuHours,
    wallClockHours,
    costUsd: gpuHours * c.pricePerGpuHour,
  };
}

/**
 * The MFU a published run implies in this file's convention.
 * @example impliedMfu(6 * 6.7e9 * 1e12, 82432, 312) // ~0.43 (LLaMA-1 7B)
 */
export function impliedMfu(flops: number, gpuHours: number, peakTflopsPerGpu: number): number {
  return flops / (gpuHours * 3600 * peakTflopsPerGpu * 1e12);
}
