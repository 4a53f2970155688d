// Loads the native addon (build/Release/anvil_native.node, built by scripts/build-native.mjs)
// and types its raw API. Loading never throws: where the addon is absent or unusable,
// `loadNative()` returns the reason, which the backend selection reports once.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A buffer argument: native storage (ArrayBuffer from `alloc`) or any typed array. */
export type Buf = ArrayBuffer | ArrayBufferView;

/** Dtype codes of `fill` and `cast`. */
export const DTYPE_CODE = { f32: 0, bf16: 1, f16: 2, i32: 3, u16: 4 } as const;

/** Bits of the `flags` argument of `matmul`. */
export const MATMUL_FLAGS = { transA: 1, transB: 2, accumulate: 4, bf16: 8, aBf16: 16, bBf16: 32 } as const;

/**
 * The addon's functions. Sizes are element counts; buffers are row-major; every call checks
 * buffer lengths against the sizes and throws instead of writing out of bounds. Semantics
 * are those of the kernel of the same name in src/backend/ref/kernels.ts.
 */
export interface NativeAddon {
  /** Why the addon cannot run here (a forced ANVIL_NATIVE_ISA the processor lacks), or ''. */
  readonly loadError: string;
  /** 64-byte-aligned native memory (not cleared), seen from JS without copies. */
  alloc(bytes: number): ArrayBuffer;
  /** Releases the memory now (kept for reuse by alloc) and detaches the ArrayBuffer (later views see 0 bytes). */
  free(buf: ArrayBuffer): void;
  /** Returns the blocks kept for reuse to the system. */
  trim(): void;
  /** Process-wide totals of alloc/free, and the bytes kept for reuse. */
  memory(): { liveBytes: number; peakBytes: number; liveBuffers: number; cachedBytes: number };
  setThreads(n: number): void;
  threads(): number;
  info(): { isa: 'avx512' | 'avx2' | 'scalar'; bf16Dot: boolean; threads: number; hardwareThreads: number };
  /** C[b] = op(A[b])·op(B[b]) (+C); flags from MATMUL_FLAGS; bf16 flags take bf16 (u16) operands. */
  matmul(a: Buf, b: Buf, c: Buf, batch: number, m: number, n: number, k: number,
    strideA: number, strideB: number, strideC: number, flags: number): void;
  fill(out: Buf, dtype: number, n: number, value: number): void;
  copy2d(src: Buf, srcOff: number, srcStride: number, dst: Buf, dstOff: number, dstStride: number,
    rows: number, cols: number, elemBytes: number, accumulate: boolean): void;
  cast(src: Buf, srcType: number, dst: Buf, dstType: number, n: number): void;
  /** op: 0 add, 1 sub, 2 mul, 3 div. */
  binary(op: number, a: Buf, b: Buf, out: Buf, shape: number[], aShape: number[], bShape: number[]): void;
  affine(a: Buf, out: Buf, n: number, mul: number, add: number): void;
  sumTo(x: Buf, out: Buf, xShape: number[], outShape: number[]): void;
  /** op: 0 sum, 1 mean, 2 max. */
  reduceLast(op: number, x: Buf, out: Buf, argmax: Buf | null, rows: number, cols: number): void;
  reduceLastBwd(op: number, dout: Buf, dx: Buf, argmax: Buf | null, rows: number, cols: number): void;
  embedding(table: Buf, ids: Buf, out: Buf, n: number, c: number, v: number): void;
  embeddingBwd(dout: Buf, ids: Buf, dtable: Buf, n: number, c: number, v: number): void;
  /** LayerNorm when b (and mean) are given, else RMSNorm; r and s fuse the residual s = x + r. */
  norm(x: Buf, r: Buf | null, s: Buf | null, w: Buf, b: Buf | null, out: Buf, mean: Buf | null, rstd: Buf,
    rows: number, c: number, eps: number): void;
  /** Writes dx, adds into dw (and db); mean and db null for RMSNorm. */
  normBwd(dout: Buf, x: Buf, w: Buf, mean: Buf | null, rstd: Buf, dx: Buf, dw: Buf, db: Buf | null,
    rows: number, c: number): void;
  /** op: 0 gelu (tanh), 1 silu. */
  activation(op: number, x: Buf, bias: Buf | null, out: Buf, rows: number, c: number): void;
  activationBwd(op: number, x: Buf, bias: Buf | null, dout: Buf, dx: Buf, rows: number, c: number): void;
  rope(x: Buf, out: Buf, b: number, t: number, h: number, d: number, pos0: number, theta: number, inverse: boolean): void;
  attention(q: Buf, k: Buf, v: Buf, out: Buf, lse: Buf, b: number, t: number, tk: number, h: number, hkv: number,
    d: number, scale: number, causal: boolean, pastLen: number): void;
  attentionBwd(q: Buf, k: Buf, v: Buf, out: Buf, lse: Buf, dout: Buf, dq: Buf, dk: Buf, dv: Buf, b: number,
    t: number, tk: number, h: number, hkv: number, d: number, scale: number, causal: boolean, pastLen: number): void;
  softmax(x: Buf, out: Buf, rows: number, cols: number): void;
  softmaxBwd(y: Buf, dy: Buf, dx: Buf, rows: number, cols: number): void;
  crossEntropy(logits: Buf, targets: Buf, loss: Buf, lse: Buf, rows: number, v: number, ignoreIndex: number): void;
  crossEntropyBwd(logits: Buf, targets: Buf, lse: Buf, dloss: Buf, dlogits: Buf, rows: number, v: number,
    ignoreIndex: number): void;
  dropout(x: Buf, out: Buf, n: number, p: number, seed: number, offset: number): void;
  adamw(p: Buf, g: Buf, m: Buf, v: Buf, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, step: number): void;
  sumSquares(x: Buf, out: Buf, n: number, accumulate: boolean): void;
}

/** The addon, or why it is not available. */
export type NativeLoad = { addon: NativeAddon; reason: '' } | { addon: null; reason: string };

let cached: NativeLoad | null = null;

/** Path of the built addon: ANVIL_NATIVE_ADDON, else build/Release above this file. */
export function addonPath(): string | null {
  if (process.env.ANVIL_NATIVE_ADDON) return process.env.ANVIL_NATIVE_ADDON;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    const p = join(dir, 'build', 'Release', 'anvil_native.node');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return null;
}

/** Loads the addon once per process. ANVIL_NATIVE=off makes it absent (to test the fallback). */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  const off = ['off', '0', 'false'].includes((process.env.ANVIL_NATIVE ?? '').toLowerCase());
  const path = off ? null : addonPath();
  if (off) cached = { addon: null, reason: 'the native backend is switched off (ANVIL_NATIVE=off)' };
  else if (!path)
    cached = { addon: null, reason: 'the native addon is not built (no C++ compiler or node-gyp when anvil was installed)' };
  else {
    try {
      const addon = createRequire(import.meta.url)(path) as NativeAddon;
      cached = addon.loadError ? { addon: null, reason: addon.loadError } : { addon, reason: '' };
    } catch (e) {
      cached = { addon: null, reason: `the native addon failed to load: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  return cached;
}
