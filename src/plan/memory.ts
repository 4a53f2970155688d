// Memory per GPU for training (full, LoRA, QLoRA) and serving: model states under
// ZeRO stages 0-3 / FSDP, activations with or without checkpointing, KV cache.
// All results in bytes; the caller turns them into GB (1e9 bytes, as the ZeRO paper).
//
// Names: s = sequence length, b = micro-batch per GPU, h = width, a = heads, L = layers,
// V = vocabulary, N = parameters, Nd = data-parallel GPUs.

import { countParams, type ArchConfig } from './architecture.js';
import {
  INFERENCE_WEIGHT_BYTES, LORA_TRAINABLE_BYTES, NF4_BITS, PREFILL_CHUNK, QLORA_TRAINABLE_BYTES, TRAINING_BYTES, type Precision,
} from './catalogue.js';

export type Mode = 'pretrain' | 'full-finetune' | 'lora' | 'qlora' | 'inference';
export const MODES: readonly Mode[] = ['pretrain', 'full-finetune', 'lora', 'qlora', 'inference'];
export type Checkpointing = 'none' | 'selective' | 'full';
export const CHECKPOINTING: readonly Checkpointing[] = ['none', 'selective', 'full'];
export type ZeroStage = 0 | 1 | 2 | 3;

/** Bytes per GPU, by kind. */
export interface MemoryBreakdown {
  weights: number;
  gradients: number;
  optimizer: number;
  activations: number;
  kvCache: number;
  total: number;
}

export interface MemoryInput {
  arch: ArchConfig;
  /** Parameters of the model (may be a round figure such as 7e9 rather than countParams(arch)). */
  params: number;
  mode: Mode;
  precision: Precision;
  checkpointing: Checkpointing;
  zero: ZeroStage;
  gpus: number;
  seqLen: number;
  microBatch: number;
  loraRank: number;
}

/**
 * Model states per GPU under ZeRO (arXiv 1910.02054): stage 1 shards the optimizer
 * states, stage 2 also the gradients, stage 3 (= FSDP full shard) also the weights.
 * @example modelStates(7.5e9, { weights: 2, gradients: 2, optimizer: 12 }, 1, 64).optimizer // 1.40625e9
 */
export function modelStates(
  params: number,
  bytes: { weights: number; gradients: number; optimizer: number },
  zero: ZeroStage,
  gpus: number,
): { weights: number; gradients: number; optimizer: number } {
  const shard = (stage: number, x: number) => (zero >= stage ? x / gpus : x);
  return {
    weights: shard(3, params * bytes.weights),
    gradients: shard(2, params * bytes.gradients),
    optimizer: shard(1, params * bytes.optimizer),
  };
}

/**
 * Activations kept for the backward pass, Korthikanti et al. (arXiv 2205.05198) for
 * 2-byte activations without tensor parallelism:
 * none: s b h L (34 + 5 a s / h); selective (attention scores recomputed, which is what
 * fused FlashAttention-style kernels give): s b h L 34; full: 2 s b h L (layer inputs).
 * `bytesPerValue` 4 (fp32 training) doubles everything.
 * @example activationBytes(llama2_7b, 4096, 1, 'none') // 1.04e11
 */
export function activationBytes(a: ArchConfig, s: number, b: number, ckpt: Checkpointing, bytesPerValue = 2): number {
  const sbhL = s * b * a.width * a.layers;
  const perElement = ckpt === 'full' ? 2 : ckpt === 'selective' ? 34 : 34 + (5 * a.heads * s) / a.width;
  return sbhL * perElement * (bytesPerValue / 2);
}

/**
 * Everything the training step holds besides model states: the stored activations,
 * under full checkpointing the one layer being recomputed (selective-size), and the
 * logits (2-byte logits plus the 4-byte copy the loss computes in fp32).
 */
export function trainingActivations(a: ArchConfig, s: number, b: number, ckpt: Checkpointing, bytesPerValue = 2): number {
  const stored = activationBytes(a, s, b, ckpt, bytesPerValue);
  const recompute = ckpt === 'full' ? activationBytes({ ...a, layers: 1 }, s, b, 'selective', bytesPerValue) : 0;
  const logits = s * b * a.vocabSize * (bytesPerValue + 4);
  return stored + recompute + logits;
}

/** Parameters of the linear layers inside the blocks (what LoRA adapts and QLoRA quantizes); embeddings, lm_head, norms and biases excluded. */
export function blockLinearParams(a: ArchConfig): number {
  const { width: C, heads: H, kvHeads: Hkv, headDim: D, mlpHidden: F } = a;
  const attention = a.family === 'gpt2' ? 4 * C * C : C * H * D + 2 * C * Hkv * D + H * D * C;
  return a.layers * (attention + 2 * C * F + (a.family === 'llama' ? C * F : 0));
}

/**
 * LoRA adapter parameters at rank r on every linear layer of attention and MLP: a
 * (in -> out) layer gets r x (in + out).
 * @example loraParams(deriveArch('llama', 20), 16)
 */
export function loraParams(a: ArchConfig, r: number): number {
  const { width: C, heads: H, kvHeads: Hkv, headDim: D, mlpHidden: F } = a;
  const attention = a.family === 'gpt2'
    ? (C + 3 * C) + (C + C) // c_attn, c_proj
    : (C + H * D) + 2 * (C + Hkv * D) + (H * D + C); // q, k, v, o
  const mlp = (a.family === 'gpt2' ? 2 : 3) * (C + F); // c_fc, c_proj | gate, up, down
  return r * a.layers * (attention + mlp);
}

/** Trainable parameters of a job: all of them, the LoRA adapters, or none when serving. */
export function trainableParams(m: MemoryInput): number {
  if (m.mode === 'lora' || m.mode === 'qlora') return loraParams(m.arch, m.loraRank);
  return m.mode === 'inference' ? 0 : m.params;
}

/** KV cache bytes for `tokens` positions of `batch` sequences: 2 (K and V) x L x Hkv x D per token. */
export function kvCacheBytes(a: ArchConfig, tokens: number, batch: number, bytesPerValue = 2): number {
  return 2 * a.layers * a.kvHeads * a.headDim * bytesPerValue * tokens * batch;
}

const sum = (m: Omit<MemoryBreakdown, 'total'>): MemoryBreakdown => ({ ...m, total: m.weights + m.gradients + m.optimizer + m.activations + m.kvCache });

/** Memory per GPU of a job, in bytes. */
export function memoryPerGpu(m: MemoryInput): MemoryBreakdown {
  const { arch, params, gpus, zero, seqLen: s, microBatch: b } = m;
  if (m.mode === 'inference') {
    // Weights and cache split evenly over the GPUs (layer or tensor split); the working
    // buffers are one layer's forward activations for one prefill chunk per sequence.
    const kvBytes = m.precision === 'fp32' ? 4 : 2;
    return sum({
      weights: (params * INFERENCE_WEIGHT_BYTES[m.precision]) / gpus,
      gradients: 0,
      optimizer: 0,
      activations: activationBytes({ ...arch, layers: 1 }, Math.min(s, PREFILL_CHUNK.tokens), b, 'selective', kvBytes) + b * arch.vocabSize * 4,
      kvCache: kvCacheBytes(arch, s, b, kvBytes) / gpus,
    });
  }
  const precision = m.precision === 'fp32' ? 'fp32' : m.precision === 'fp8' ? 'fp8' : 'bf16';
  const bytes = TRAINING_BYTES[precision];
  const activations = trainingActivations(arch, s, b, m.checkpointing, bytes.activation);
  if (m.mode === 'pretrain' || m.mode === 'full-finetune') {
    return sum({ ...modelStates(params, bytes, zero, gpus), activations, kvCache: 0 });
  }
  // LoRA / QLoRA: a frozen base (sharded only by ZeRO-3) plus small trainable adapters.
  const adapters = modelStates(loraParams(arch, m.loraRank), m.mode === 'qlora' ? QLORA_TRAINABLE_BYTES : LORA_TRAINABLE_BYTES, zero, gpus);
  // The linear share of the shape applied to `params`, so a round figure (7e9) and the
  // shape's exact count are never mixed.
  const quantized = m.mode === 'qlora' ? (params * blockLinearParams(arch)) / countParams(arch) : 0;
  const baseBytes = m.mode === 'qlora'
    ? quantized * (NF4_BITS.bits / 8) + (params - quantized) * 2 // NF4 linears; embeddings, norms, lm_head in bf16
    : params * bytes.weights;
  const base = zero >= 3 ? baseBytes / gpus : baseBytes;
  return sum({ ...adapters, weights: base + adapters.weights, activations, kvCache: 0 });
}

