// The typed TypeScript API of the raw WebAssembly kernels of the cpu backend.
//
// Every tensor argument is a byte offset ("pointer") into the runtime's one shared
// WebAssembly.Memory, obtained from `CpuRuntime.alloc`. Offset 0 is never handed out, so
// 0 means "absent" where an argument is optional. All buffers are row-major and
// contiguous, f32 unless stated otherwise (ids and targets are i32, or u16 where said).
//
// Ownership rule of this API: outputs named d<input> (dx, dq, ...) are OVERWRITTEN;
// gradients of parameters (dw, db, dbias, dweight) are ADDED TO (+=), so a fresh gradient
// must be zeroed first. Matmul says explicitly with its `accumulate` flag. Outputs may not
// alias inputs unless the doc says "in place allowed".
//
// Every call is synchronous: big calls are split across the thread pool (the calling
// thread takes part and waits at an Atomics barrier), small ones stay on the calling thread.
// Results are bitwise identical for any thread count.
//
// Dimension names used below: B batch, T time (query rows), S key/value rows, C channels,
// H heads, Hkv kv heads, D head dim, V vocab, N element count, R rows.

import type { CpuRuntime } from './runtime.js';

/** A byte offset into the runtime's shared memory (64-byte aligned when from `alloc`). */
export type Ptr = number;

/** Elementwise binary operations, in the order the wasm kernels number them. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/** Highest rank `binaryStrided` and `reduceStrided` accept. */
export const MAX_STRIDED_RANK = 6;

/** Parameters of a batched matmul: C[b] (+)= op(A[b]) · op(B[b]). */
export interface MatmulArgs {
  /** op(A) is M×K: A is stored M×K, or K×M when transA. */
  a: Ptr;
  /** op(B) is K×N: B is stored K×N, or N×K when transB. */
  b: Ptr;
  /** C is M×N per batch item. */
  c: Ptr;
  m: number;
  n: number;
  k: number;
  /** Number of batch items (default 1). */
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  /** C += op(A)·op(B) instead of C = op(A)·op(B). */
  accumulate?: boolean;
  /** Elements between consecutive A matrices; 0 broadcasts one A over the batch. Default m*k. */
  strideA?: number;
  /** Elements between consecutive B matrices; 0 broadcasts one B (shared weights). Default k*n. */
  strideB?: number;
  /** Elements between consecutive C matrices; 0 sums every batch item into one C. Default m*n. */
  strideC?: number;
}

/** Parameters of fused causal attention with grouped-query heads. */
export interface AttentionArgs {
  /** Queries (B, T, H, D). */
  q: Ptr;
  /** Keys (B, kvCap, Hkv, D); rows 0..S-1 of each batch item are used. */
  k: Ptr;
  /** Values (B, kvCap, Hkv, D). */
  v: Ptr;
  /** Output (B, T, H, D). */
  o: Ptr;
  /** Per-row logsumexp of the scaled scores (B, H, T), saved for the backward pass. */
  lse: Ptr;
  B: number;
  T: number;
  H: number;
  Hkv: number;
  D: number;
  /** Positions already in the KV cache: query row t sits at position pastLen + t; S = pastLen + T keys are read. Default 0. */
  pastLen?: number;
  /** Rows per batch item in the k/v buffers (the KV cache capacity). Default pastLen + T. */
  kvCap?: number;
  /** Score scale, default 1/sqrt(D). */
  scale?: number;
  /** Mask keys after the query's position (default true). */
  causal?: boolean;
}

/** Extra buffers of the attention backward pass. */
export interface AttentionBackwardArgs extends AttentionArgs {
  /** Upstream gradient (B, T, H, D). */
  dO: Ptr;
  /** Written: (B, T, H, D). */
  dq: Ptr;
  /** Written: (B, kvCap, Hkv, D) (rows 0..S-1). */
  dk: Ptr;
  /** Written: (B, kvCap, Hkv, D) (rows 0..S-1). */
  dv: Ptr;
}

/** Hyperparameters of one fused AdamW step over one tensor. */
export interface AdamWArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay: param -= lr * weightDecay * param. */
  weightDecay: number;
  /** 1-based step number, for bias correction. */
  step: number;
  /** Multiplies the gradient first (global-norm clipping); default 1. */
  gradScale?: number;
}

/** Wasm export names, in the order the runtime indexes them (must match assembly/index.ts). */
export const KERNEL_NAMES = [
  'matmul',
  'binarySame',
  'binaryRepeat',
  'binaryScalar',
  'binaryStrided',
  'sumRows',
  'reduceStrided',
  'sumLast',
  'maxLast',
  'maxLastBackward',
  'broadcastLast',
  'embedding',
  'embeddingBackward',
  'layerNorm',
  'layerNormBackwardX',
  'layerNormBackwardW',
  'rmsNorm',
  'rmsNormBackwardX',
  'rmsNormBackwardW',
  'gelu',
  'geluBackward',
  'silu',
  'siluBackward',
  'biasGelu',
  'biasGeluBackward',
  'addLayerNorm',
  'addRmsNorm',
  'rope',
  'attention',
  'attentionBackward',
  'softmax',
  'softmaxBackward',
  'crossEntropy',
  'crossEntropyBackward',
  'dropout',
  'adamw',
  'sumSquares',
  'scale',
  'castF32ToBf16',
  'castBf16ToF32',
  'castF32ToF16',
  'castF16ToF32',
  'castI32ToF32',
  'castU16ToI32',
  'fill',
  'copy',
  'copy2d',
  'peak',
] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

/** Elements per partial sum of `sumSquares`; fixed so results do not depend on thread count. */
export const REDUCE_CHUNK = 8192;

/**
 * Uniform number in [0, 1) for dropout element `counter` under `seed`: a counter-based hash
 * (no state), so the forward and backward passes regenerate the same mask. The wasm kernel
 * computes exactly this; the reference backend imports it.
 */
export function dropoutUniform(seed: number, counter: number): number {
  // A 32-bit murmur3-style finalizer over (seed, counter): cheap and well mixed.
  let h = Math.imul(counter >>> 0, 0x9e3779b1) ^ Math.imul(seed >>> 0, 0x85ebca77);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 8) / 16777216;
}

/** Fill RoPE tables (maxPos, D/2): cos/sin of pos * base^(-2i/D), the HF Llama frequencies. */
export function fillRopeTables(cos: Float32Array, sin: Float32Array, maxPos: number, D: number, base = 10000): void {
  const half = D >> 1;
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(base, (-2 * i) / D);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
}

const OP_INDEX: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };
const b2n = (x: boolean | undefined): number => (x ? 1 : 0);

/** Work (elements or flops) under which a kernel stays on the calling thread. */
const SMALL_ELEMENTS = 32768;
const SMALL_FLOPS = 1 << 20;

/**
 * The kernel table over arena pointers. One instance per runtime.
 * @example
 *   const rt = await createCpuRuntime({ threads: 2 });
 *   const k = new CpuKernels(rt);
 *   const a = rt.alloc(4 * 6), b = rt.alloc(4 * 6), c = rt.alloc(4 * 4);
 *   k.matmul({ a, b, c, m: 2, n: 2, k: 3, transB: true });
 */
export class CpuKernels {
  constructor(readonly rt: CpuRuntime) {}

  private threadsFor(work: number, small: number): number {
    return work < small ? 1 : this.rt.threads;
  }

  /**
   * Batched matmul C[b] = op(A[b])·op(B[b]) (or += with `accumulate`), packed panels and a
   * register-tiled SIMD microkernel. Strides give batch broadcasting (see MatmulArgs).
   */
  matmul(p: MatmulArgs): void {
    const batch = p.batch ?? 1;
    const { m, n, k } = p;
    if (m === 0 || n === 0 || batch === 0) return;
    const sa = p.strideA ?? m * k;
    const sb = p.strideB ?? k * n;
    const sc = p.strideC ?? m * n;
    const nt = this.threadsFor(2 * m * n * k * batch, SMALL_FLOPS);
    this.rt.run('matmul', [p.a, p.b, p.c, m, n, k, batch, sa, sb, sc, b2n(p.transA), b2n(p.transB), b2n(p.accumulate)], nt);
  }

  /** out[i] = a[i] op b[i] for i < N (in place allowed: out may equal a or b). */
  binarySame(op: BinaryOp, a: Ptr, b: Ptr, out: Ptr, N: number): void {
    this.rt.run('binarySame', [OP_INDEX[op], a, b, out, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /**
   * Trailing-suffix broadcast (a bias): the tensor of N elements is combined with the one of M
   * elements repeated N/M times (N % M == 0). `repeatedIsA` false: out[i] = a[i] op b[i % M]
   * (a has N elements); true: out[i] = a[i % M] op b[i] (b has N elements). In place allowed
   * on the N-element side.
   */
  binaryRepeat(op: BinaryOp, a: Ptr, b: Ptr, out: Ptr, N: number, M: number, repeatedIsA = false): void {
    this.rt.run('binaryRepeat', [OP_INDEX[op], a, b, out, N, M, b2n(repeatedIsA)], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** out[i] = a[i] op s, or s op a[i] when `scalarFirst` (in place allowed). */
  binaryScalar(op: BinaryOp, a: Ptr, s: number, out: Ptr, N: number, scalarFirst = false): void {
    this.rt.run('binaryScalar', [OP_INDEX[op], a, s, out, N, b2n(scalarFirst)], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /**
   * General broadcasting fallback: out (contiguous, `shape`) = a op b where a and b are read
   * with element strides (0 on broadcast dims). Rank <= MAX_STRIDED_RANK.
   */
  binaryStrided(op: BinaryOp, a: Ptr, b: Ptr, out: Ptr, shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[]): void {
    const [dims, as, bs] = padRank(shape, aStrides, bStrides);
    const N = shape.reduce((x, y) => x * y, 1);
    this.rt.run('binaryStrided', [OP_INDEX[op], a, b, out, ...dims, ...as, ...bs], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** out[c] (+)= Σ_r x[r, c] for x (R, C): the bias gradient. Adds when `accumulate`. */
  sumRows(x: Ptr, out: Ptr, R: number, C: number, accumulate = false): void {
    this.rt.run('sumRows', [x, out, R, C, b2n(accumulate)], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /**
   * Sum-to-shape, the reduction broadcast's backward needs: out (+)= x summed over the dims
   * where `outStrides` is 0. x is contiguous with `shape`; out is addressed by `outStrides`.
   * Overwrites out (zeroing the reachable elements first) unless `accumulate`. Runs on one
   * thread (use sumRows for the common bias case).
   */
  reduceStrided(x: Ptr, out: Ptr, shape: readonly number[], outStrides: readonly number[], accumulate = false): void {
    const [dims, os] = padRank(shape, outStrides);
    this.rt.run('reduceStrided', [x, out, ...dims, ...os, b2n(accumulate)], 1);
  }

  /** out[r] = scale * Σ_c x[r, c] over x (R, C); scale 1/C gives the mean. */
  sumLast(x: Ptr, out: Ptr, R: number, C: number, scale = 1): void {
    this.rt.run('sumLast', [x, out, R, C, scale], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** out[r] = max_c x[r, c], argmax[r] (i32) = first index of the max. */
  maxLast(x: Ptr, out: Ptr, argmax: Ptr, R: number, C: number): void {
    this.rt.run('maxLast', [x, out, argmax, R, C], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** dx (R, C) = 0 except dx[r, argmax[r]] = dy[r]. */
  maxLastBackward(dy: Ptr, argmax: Ptr, dx: Ptr, R: number, C: number): void {
    this.rt.run('maxLastBackward', [dy, argmax, dx, R, C], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** dx[r, c] = scale * dy[r]: backward of sumLast/meanLast. */
  broadcastLast(dy: Ptr, dx: Ptr, R: number, C: number, scale = 1): void {
    this.rt.run('broadcastLast', [dy, dx, R, C, scale], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** out[i, :] = weight[ids[i], :]; weight (V, C), ids (N) i32 (or u16 when idsU16), out (N, C). */
  embedding(weight: Ptr, ids: Ptr, out: Ptr, N: number, C: number, V: number, idsU16 = false): void {
    this.rt.run('embedding', [weight, ids, out, N, C, V, b2n(idsU16)], this.threadsFor(N * C, SMALL_ELEMENTS));
  }

  /** dweight[ids[i], :] += dout[i, :] (scatter-add; threads split the C columns). */
  embeddingBackward(dout: Ptr, ids: Ptr, dweight: Ptr, N: number, C: number, V: number, idsU16 = false): void {
    this.rt.run('embeddingBackward', [dout, ids, dweight, N, C, V, b2n(idsU16)], this.threadsFor(N * C, SMALL_ELEMENTS));
  }

  /**
   * LayerNorm over the last axis: y = (x - mean) * rstd * w + b. x, y (R, C); w, b (C)
   * (b may be 0: no bias); saves mean and rstd (R) for the backward pass.
   */
  layerNorm(x: Ptr, w: Ptr, b: Ptr, y: Ptr, mean: Ptr, rstd: Ptr, R: number, C: number, eps: number): void {
    this.rt.run('layerNorm', [x, w, b, y, mean, rstd, R, C, eps], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /**
   * LayerNorm backward. Writes dx (R, C) (plus dAdd when dAdd != 0: the gradient of a residual
   * branch that also flows into x); adds to dw and db (C) (either may be 0 to skip).
   */
  layerNormBackward(dy: Ptr, x: Ptr, w: Ptr, mean: Ptr, rstd: Ptr, dx: Ptr, dw: Ptr, db: Ptr, R: number, C: number, dAdd: Ptr = 0): void {
    const nt = this.threadsFor(R * C, SMALL_ELEMENTS);
    this.rt.run('layerNormBackwardX', [dy, x, w, mean, rstd, dx, dAdd, R, C], nt);
    if (dw !== 0 || db !== 0) this.rt.run('layerNormBackwardW', [dy, x, mean, rstd, dw, db, R, C], nt);
  }

  /** RMSNorm: y = x * rstd * w, rstd = 1/sqrt(mean(x²) + eps); saves rstd (R). */
  rmsNorm(x: Ptr, w: Ptr, y: Ptr, rstd: Ptr, R: number, C: number, eps: number): void {
    this.rt.run('rmsNorm', [x, w, y, rstd, R, C, eps], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** RMSNorm backward: writes dx (+ dAdd when given), adds to dw (may be 0 to skip). */
  rmsNormBackward(dy: Ptr, x: Ptr, w: Ptr, rstd: Ptr, dx: Ptr, dw: Ptr, R: number, C: number, dAdd: Ptr = 0): void {
    const nt = this.threadsFor(R * C, SMALL_ELEMENTS);
    this.rt.run('rmsNormBackwardX', [dy, x, w, rstd, dx, dAdd, R, C], nt);
    if (dw !== 0) this.rt.run('rmsNormBackwardW', [dy, x, rstd, dw, R, C], nt);
  }

  /** GELU, tanh approximation: y = 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))). In place allowed. */
  gelu(x: Ptr, y: Ptr, N: number): void {
    this.rt.run('gelu', [x, y, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** dx = gelu'(x) * dy. */
  geluBackward(x: Ptr, dy: Ptr, dx: Ptr, N: number): void {
    this.rt.run('geluBackward', [x, dy, dx, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** SiLU: y = x * sigmoid(x). In place allowed. */
  silu(x: Ptr, y: Ptr, N: number): void {
    this.rt.run('silu', [x, y, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** dx = silu'(x) * dy. */
  siluBackward(x: Ptr, dy: Ptr, dx: Ptr, N: number): void {
    this.rt.run('siluBackward', [x, dy, dx, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** Fused bias + GELU: y = gelu(x + bias); x, y (R, C), bias (C). */
  biasGelu(x: Ptr, bias: Ptr, y: Ptr, R: number, C: number): void {
    this.rt.run('biasGelu', [x, bias, y, R, C], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** Backward of biasGelu: dx = gelu'(x + bias) * dy (written); dbias += Σ_r dx (may be 0). */
  biasGeluBackward(x: Ptr, bias: Ptr, dy: Ptr, dx: Ptr, dbias: Ptr, R: number, C: number): void {
    const nt = this.threadsFor(R * C, SMALL_ELEMENTS);
    this.rt.run('biasGeluBackward', [x, bias, dy, dx, R, C], nt);
    if (dbias !== 0) this.rt.run('sumRows', [dx, dbias, R, C, 1], nt);
  }

  /**
   * Fused residual add + LayerNorm: s = x + r (the new residual stream, written), y = LN(s)
   * with mean/rstd saved. Backward: layerNormBackward on s, its dx is the gradient of x and r.
   */
  addLayerNorm(x: Ptr, r: Ptr, s: Ptr, w: Ptr, b: Ptr, y: Ptr, mean: Ptr, rstd: Ptr, R: number, C: number, eps: number): void {
    this.rt.run('addLayerNorm', [x, r, s, w, b, y, mean, rstd, R, C, eps], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** Fused residual add + RMSNorm: s = x + r (written), y = RMSNorm(s), rstd saved. */
  addRmsNorm(x: Ptr, r: Ptr, s: Ptr, w: Ptr, y: Ptr, rstd: Ptr, R: number, C: number, eps: number): void {
    this.rt.run('addRmsNorm', [x, r, s, w, y, rstd, R, C, eps], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /**
   * RoPE, rotate-half convention of HF Llama, on x (B, T, H, D) -> y (in place allowed).
   * Row t uses position pos0 + t; cos/sin tables are (maxPos, D/2) from fillRopeTables.
   * For i < D/2: y[i] = x[i] cos - x[i+D/2] sin, y[i+D/2] = x[i+D/2] cos + x[i] sin.
   * `inverse` rotates by -angle: that is the backward pass (dx from dy).
   */
  rope(x: Ptr, y: Ptr, cos: Ptr, sin: Ptr, B: number, T: number, H: number, D: number, pos0 = 0, inverse = false): void {
    this.rt.run('rope', [x, y, cos, sin, B, T, H, D, pos0, b2n(inverse)], this.threadsFor(B * T * H * D, SMALL_ELEMENTS));
  }

  /**
   * Fused attention forward, streaming (online) softmax: o = softmax(scale q kᵀ + mask) v,
   * query head h reads kv head h / (H / Hkv). Saves only o and lse; no T×S matrix is stored.
   */
  attention(p: AttentionArgs): void {
    const a = attentionArgs(p);
    const work = p.B * p.H * p.T * (p.T + a[5]!) * p.D * 4;
    this.rt.run('attention', [p.q, p.k, p.v, p.o, p.lse, ...a], this.threadsFor(work, SMALL_FLOPS));
  }

  /** Fused attention backward: recomputes probabilities from lse; writes dq, dk, dv. */
  attentionBackward(p: AttentionBackwardArgs): void {
    const a = attentionArgs(p);
    const work = p.B * p.H * p.T * (p.T + a[5]!) * p.D * 8;
    this.rt.run('attentionBackward', [p.q, p.k, p.v, p.o, p.lse, ...a, p.dO, p.dq, p.dk, p.dv], this.threadsFor(work, SMALL_FLOPS));
  }

  /** Softmax over the last axis of x (R, C). In place allowed. */
  softmax(x: Ptr, y: Ptr, R: number, C: number): void {
    this.rt.run('softmax', [x, y, R, C], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /** dx = y * (dy - Σ_c y dy), from the softmax output y. */
  softmaxBackward(y: Ptr, dy: Ptr, dx: Ptr, R: number, C: number): void {
    this.rt.run('softmaxBackward', [y, dy, dx, R, C], this.threadsFor(R * C, SMALL_ELEMENTS));
  }

  /**
   * Fused softmax cross-entropy over logits (R, V) and i32 targets (R). Writes rowLoss (R)
   * (0 on ignored rows) and lse (R); returns the mean over non-ignored rows (0 if none) and
   * the count of non-ignored rows.
   */
  crossEntropy(logits: Ptr, targets: Ptr, rowLoss: Ptr, lse: Ptr, R: number, V: number, ignoreIndex = -100): { loss: number; count: number } {
    this.rt.run('crossEntropy', [logits, targets, rowLoss, lse, R, V, ignoreIndex], this.threadsFor(R * V, SMALL_ELEMENTS));
    const losses = this.rt.f32(rowLoss, R);
    const tg = this.rt.i32(targets, R);
    let sum = 0;
    let count = 0;
    for (let r = 0; r < R; r++) {
      if (tg[r] === ignoreIndex) continue;
      sum += losses[r]!;
      count++;
    }
    return { loss: count > 0 ? sum / count : 0, count };
  }

  /**
   * dlogits (R, V) = (softmax(logits) - onehot(target)) * scale, 0 on ignored rows. For the
   * mean loss, scale = dloss / count.
   */
  crossEntropyBackward(logits: Ptr, targets: Ptr, lse: Ptr, dlogits: Ptr, R: number, V: number, scale: number, ignoreIndex = -100): void {
    this.rt.run('crossEntropyBackward', [logits, targets, lse, dlogits, R, V, scale, ignoreIndex], this.threadsFor(R * V, SMALL_ELEMENTS));
  }

  /**
   * Dropout: y[i] = x[i] / (1 - p) if dropoutUniform(seed, offset + i) >= p, else 0. The
   * backward pass is the same call on dy with the same seed and offset. In place allowed.
   */
  dropout(x: Ptr, y: Ptr, N: number, p: number, seed: number, offset = 0): void {
    this.rt.run('dropout', [x, y, N, p, seed >>> 0, offset >>> 0], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /**
   * One fused AdamW step over a tensor of N elements, in place on param, m, v:
   * g = grad*gradScale; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²;
   * param -= lr * (wd * param + (m / (1-b1^step)) / (sqrt(v / (1-b2^step)) + eps)).
   */
  adamw(param: Ptr, grad: Ptr, m: Ptr, v: Ptr, N: number, h: AdamWArgs): void {
    const bc1 = 1 - Math.pow(h.beta1, h.step);
    const bc2 = 1 - Math.pow(h.beta2, h.step);
    this.rt.run('adamw', [param, grad, m, v, N, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, bc1, bc2, h.gradScale ?? 1], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** Σ x[i]² over N elements (f64 partial sums per REDUCE_CHUNK, summed in order). */
  sumSquares(x: Ptr, N: number): number {
    if (N === 0) return 0;
    const chunks = Math.ceil(N / REDUCE_CHUNK);
    const partials = this.rt.alloc(8 * chunks);
    try {
      this.rt.run('sumSquares', [x, N, partials], this.threadsFor(N, SMALL_ELEMENTS));
      const p = this.rt.f64(partials, chunks);
      let s = 0;
      for (let i = 0; i < chunks; i++) s += p[i]!;
      return s;
    } finally {
      this.rt.free(partials);
    }
  }

  /** x[i] *= s in place. */
  scale(x: Ptr, N: number, s: number): void {
    this.rt.run('scale', [x, N, s], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** f32 -> bf16 (u16 storage), round to nearest even; NaN stays NaN. */
  castF32ToBf16(src: Ptr, dst: Ptr, N: number): void {
    this.rt.run('castF32ToBf16', [src, dst, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** bf16 -> f32 (exact). */
  castBf16ToF32(src: Ptr, dst: Ptr, N: number): void {
    this.rt.run('castBf16ToF32', [src, dst, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** f32 -> IEEE f16, round to nearest even, overflow to ±Inf, subnormals kept. */
  castF32ToF16(src: Ptr, dst: Ptr, N: number): void {
    this.rt.run('castF32ToF16', [src, dst, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** IEEE f16 -> f32 (exact). */
  castF16ToF32(src: Ptr, dst: Ptr, N: number): void {
    this.rt.run('castF16ToF32', [src, dst, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** i32 -> f32. */
  castI32ToF32(src: Ptr, dst: Ptr, N: number): void {
    this.rt.run('castI32ToF32', [src, dst, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** u16 -> i32 (zero extension). */
  castU16ToI32(src: Ptr, dst: Ptr, N: number): void {
    this.rt.run('castU16ToI32', [src, dst, N], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** dst[i] = value for N f32 elements. */
  fill(dst: Ptr, N: number, value: number): void {
    this.rt.run('fill', [dst, N, value], this.threadsFor(N, SMALL_ELEMENTS));
  }

  /** Copy `bytes` bytes from src to dst (regions may overlap). */
  copy(dst: Ptr, src: Ptr, bytes: number): void {
    this.rt.run('copy', [dst, src, bytes], 1);
  }

  /**
   * Strided 2-D copy of f32 rows: dst[r*dstStride + c] = src[r*srcStride + c] (or += when
   * `accumulate`) for r < rows, c < cols. For slicing the last axis (a fused qkv split), its
   * backward, and writing new rows into a KV cache. src and dst point at element (0, 0).
   */
  copy2d(src: Ptr, srcStride: number, dst: Ptr, dstStride: number, rows: number, cols: number, accumulate = false): void {
    this.rt.run('copy2d', [src, srcStride, dst, dstStride, rows, cols, b2n(accumulate)], this.threadsFor(rows * cols, SMALL_ELEMENTS));
  }

  /**
   * Benchmark helper: a register-only SIMD multiply-add loop of `iters` iterations on
   * `threads` threads (96 flops per iteration per thread), for measuring the machine's peak.
   */
  peak(iters: number, threads: number): void {
    this.rt.run('peak', [iters], threads);
  }
}

function padRank(shape: readonly number[], ...strides: (readonly number[])[]): number[][] {
  if (shape.length > MAX_STRIDED_RANK) throw new RangeError(`strided kernels take rank <= ${MAX_STRIDED_RANK}, got shape [${shape.join(', ')}]`);
  for (const s of strides) {
    if (s.length !== shape.length) throw new RangeError(`strides [${s.join(', ')}] do not match shape [${shape.join(', ')}]`);
  }
  const pad = MAX_STRIDED_RANK - shape.length;
  const out = [[...new Array<number>(pad).fill(1), ...shape]];
  for (const s of strides) out.push([...new Array<number>(pad).fill(0), ...s]);
  return out;
}

/** [B, T, H, Hkv, D, pastLen, kvCap, scale, causal] as the wasm kernels take them. */
function attentionArgs(p: AttentionArgs): number[] {
  const pastLen = p.pastLen ?? 0;
  const S = pastLen + p.T;
  const kvCap = p.kvCap ?? S;
  if (kvCap < S) throw new RangeError(`attention: kvCap ${kvCap} < pastLen + T = ${S}`);
  if (p.H % p.Hkv !== 0) throw new RangeError(`attention: H ${p.H} is not a multiple of Hkv ${p.Hkv}`);
  const scale = p.scale ?? 1 / Math.sqrt(p.D);
  return [p.B, p.T, p.H, p.Hkv, p.D, pastLen, kvCap, scale, b2n(p.causal ?? true)];
}
