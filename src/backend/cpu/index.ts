// The cpu backend: implements the engine's kernel table (../types.ts) with the WebAssembly
// SIMD kernels of kernels.ts on the shared-memory thread pool of runtime.ts. Storage handles
// are byte offsets into the one WebAssembly.Memory. The only work done in plain JavaScript
// here is negligible in cost: reading a scalar operand, validating ids / targets, the count of
// non-ignored rows of cross-entropy, and rare dtype casts without a wasm kernel (f32 -> i32,
// bf16 <-> f16), which go through host arrays.

import type { Backend, BinaryOp, DType, HostArray, KernelTable } from '../types.js';
import { DTYPE_BYTES } from '../types.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../ref/half.js';
import { CpuKernels, MAX_STRIDED_RANK, fillRopeTables, type Ptr } from './kernels.js';
import { createCpuRuntime, KernelError, type CpuRuntime } from './runtime.js';
import { broadcastStrides } from '../strides.js';

/** Options of the cpu backend. */
export interface CpuBackendOptions {
  /** Threads including the calling one; default ANVIL_THREADS, else the available cores. */
  threads?: number;
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Drops size-1 axes of the output and merges neighbouring axes that are contiguous in every
 * operand, so common broadcasts fit the strided kernels' rank limit.
 */
function collapse(shape: readonly number[], ...strides: number[][]): [number[], number[][]] {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = dims.length - 1;
    const mergeable = last >= 0 && strides.every((s, j) => st[j][last] === s[i] * shape[i]);
    if (mergeable) {
      dims[last] *= shape[i];
      strides.forEach((s, j) => (st[j][last] = s[i]));
    } else {
      dims.push(shape[i]);
      strides.forEach((s, j) => st[j].push(s[i]));
    }
  }
  if (dims.length === 0) return [[1], strides.map(() => [0])];
  return [dims, st];
}

/** If `sub` is a trailing suffix of `full` (after leading 1s), the number of its elements. */
function suffixSize(sub: readonly number[], full: readonly number[]): number | null {
  let i = 0;
  while (i < sub.length && sub[i] === 1) i++;
  for (let j = i; j < sub.length; j++) if (sub[j] !== full[j]) return null;
  return prod(sub);
}

/** Creates the cpu backend (compiles the kernels, starts the thread pool). */
export async function createCpuBackend(opts: CpuBackendOptions = {}): Promise<Backend<Ptr>> {
  const rt = await createCpuRuntime({ threads: opts.threads });
  return new CpuBackend(rt);
}

class CpuBackend implements Backend<Ptr> {
  readonly name = 'cpu' as const;
  readonly f64 = false;
  readonly threads: number;
  readonly kernels: KernelTable<Ptr>;
  private readonly k: CpuKernels;
  private readonly ropeTables = new Map<string, { cos: Ptr; sin: Ptr; maxPos: number }>();

  constructor(private readonly rt: CpuRuntime) {
    this.threads = rt.threads;
    this.k = new CpuKernels(rt);
    this.kernels = this.table();
  }

  alloc(dtype: DType, size: number): Ptr {
    return this.rt.alloc(size * DTYPE_BYTES[dtype]);
  }

  free(p: Ptr): void {
    this.rt.free(p);
  }

  read(p: Ptr, dtype: DType, n: number): HostArray {
    switch (dtype) {
      case 'f32': return this.rt.f32(p, n).slice();
      case 'i32': return this.rt.i32(p, n).slice();
      case 'u16': return this.rt.u16(p, n).slice();
      case 'bf16':
      case 'f16': {
        const bits = this.rt.u16(p, n);
        const dec = dtype === 'bf16' ? bf16ToF32 : f16ToF32;
        return Float32Array.from(bits, dec);
      }
    }
  }

  write(p: Ptr, dtype: DType, data: ArrayLike<number>): void {
    const n = data.length;
    switch (dtype) {
      case 'f32': this.rt.f32(p, n).set(data); return;
      case 'i32': this.rt.i32(p, n).set(data); return;
      case 'u16': this.rt.u16(p, n).set(data); return;
      case 'bf16':
      case 'f16': {
        const enc = dtype === 'bf16' ? f32ToBf16 : f32ToF16;
        const bits = this.rt.u16(p, n);
        for (let i = 0; i < n; i++) bits[i] = enc(data[i]);
      }
    }
  }

  memory() {
    const s = this.rt.stats();
    return { bytesInUse: s.inUse, highWaterBytes: s.highWater, buffers: s.blocks };
  }

  dispose(): void {
    // Workers are unref'd and idle; terminating them needs no waiting.
    void this.rt.close().catch(() => undefined);
  }

  private scalar(p: Ptr): number {
    return this.rt.f32(p, 1)[0];
  }

  private rope(d: number, theta: number, maxPos: number): { cos: Ptr; sin: Ptr } {
    const key = `${d}:${theta}`;
    const have = this.ropeTables.get(key);
    if (have && have.maxPos >= maxPos) return have;
    const cap = Math.max(maxPos, (have?.maxPos ?? 0) * 2, 256);
    if (have) {
      this.rt.free(have.cos);
      this.rt.free(have.sin);
    }
    const half = d / 2;
    const cos = this.rt.alloc(cap * half * 4);
    const sin = this.rt.alloc(cap * half * 4);
    fillRopeTables(this.rt.f32(cos, cap * half), this.rt.f32(sin, cap * half), cap, d, theta);
    const t = { cos, sin, maxPos: cap };
    this.ropeTables.set(key, t);
    return t;
  }

  private binary(op: BinaryOp, a: Ptr, b: Ptr, out: Ptr, shape: number[], aShape: number[], bShape: number[]): void {
    const k = this.k;
    const n = prod(shape);
    const aFull = same(aShape, shape);
    const bFull = same(bShape, shape);
    if (aFull && bFull) return k.binarySame(op, a, b, out, n);
    if (aFull && prod(bShape) === 1) return k.binaryScalar(op, a, this.scalar(b), out, n);
    if (bFull && prod(aShape) === 1) return k.binaryScalar(op, b, this.scalar(a), out, n, true);
    const bm = aFull ? suffixSize(bShape, shape) : null;
    if (bm !== null && bm > 0) return k.binaryRepeat(op, a, b, out, n, bm, false);
    const am = bFull ? suffixSize(aShape, shape) : null;
    if (am !== null && am > 0) return k.binaryRepeat(op, a, b, out, n, am, true);
    const [dims, [sa, sb]] = collapse(shape, broadcastStrides(aShape, shape), broadcastStrides(bShape, shape));
    if (dims.length > MAX_STRIDED_RANK) throw new KernelError(`binary ${op}: broadcast of rank ${dims.length} exceeds ${MAX_STRIDED_RANK}`);
    k.binaryStrided(op, a, b, out, dims, sa, sb);
  }

  private table(): KernelTable<Ptr> {
    const k = this.k;
    const rt = this.rt;
    return {
      fill: ({ out, n, value }) => k.fill(out, n, value),
      copy2d: ({ src, srcOff, srcStride, dst, dstOff, dstStride, rows, cols, accumulate }) => {
        if (rows === 0 || cols === 0) return;
        if (!accumulate && ((srcStride === cols && dstStride === cols) || rows === 1)) {
          return k.copy(dst + dstOff * 4, src + srcOff * 4, rows * cols * 4);
        }
        k.copy2d(src + srcOff * 4, srcStride, dst + dstOff * 4, dstStride, rows, cols, accumulate);
      },
      cast: ({ src, srcType, dst, dstType, n }) => {
        const pair = `${srcType}>${dstType}`;
        if (srcType === dstType) return k.copy(dst, src, n * DTYPE_BYTES[srcType]);
        if (pair === 'f32>bf16') return k.castF32ToBf16(src, dst, n);
        if (pair === 'bf16>f32') return k.castBf16ToF32(src, dst, n);
        if (pair === 'f32>f16') return k.castF32ToF16(src, dst, n);
        if (pair === 'f16>f32') return k.castF16ToF32(src, dst, n);
        if (pair === 'i32>f32') return k.castI32ToF32(src, dst, n);
        if (pair === 'u16>i32') return k.castU16ToI32(src, dst, n);
        // Rare pairs (ints from floats, bf16 <-> f16 ...): through the host, exact as the ref.
        const vals = this.read(src, srcType, n);
        const conv = dstType === 'i32' || dstType === 'u16' ? Array.from(vals, (v) => Math.trunc(v)) : vals;
        this.write(dst, dstType, conv);
      },
      matmul: (p) => k.matmul({ ...p }),
      binary: ({ op, a, b, out, shape, aShape, bShape }) => this.binary(op, a, b, out, shape, aShape, bShape),
      affine: ({ a, out, n, mul, add }) => {
        if (add === 0) return k.binaryScalar('mul', a, mul, out, n);
        if (mul === 1) return k.binaryScalar('add', a, add, out, n);
        k.binaryScalar('mul', a, mul, out, n);
        k.binaryScalar('add', out, add, out, n);
      },
      sumTo: ({ x, out, xShape, outShape, accumulate }) => {
        const lead = outShape.findIndex((d) => d !== 1);
        const suffix = lead === -1 ? outShape.length : lead;
        if (outShape.slice(suffix).every((d, i) => d === xShape[suffix + i])) {
          const c = prod(outShape);
          return k.sumRows(x, out, c === 0 ? 0 : prod(xShape) / c, c, accumulate);
        }
        const [dims, [os]] = collapse(xShape, broadcastStrides(outShape, xShape));
        if (dims.length > MAX_STRIDED_RANK) throw new KernelError(`sumTo: reduction of rank ${dims.length} exceeds ${MAX_STRIDED_RANK}`);
        k.reduceStrided(x, out, dims, os, accumulate);
      },
      reduceLast: ({ op, x, out, argmax, rows, cols }) => {
        if (op === 'max') return k.maxLast(x, out, argmax!, rows, cols);
        k.sumLast(x, out, rows, cols, op === 'mean' ? 1 / cols : 1);
      },
      reduceLastBwd: ({ op, dout, dx, argmax, rows, cols }) => {
        if (op === 'max') return k.maxLastBackward(dout, argmax!, dx, rows, cols);
        k.broadcastLast(dout, dx, rows, cols, op === 'mean' ? 1 / cols : 1);
      },
      embedding: ({ table, ids, out, n, c, v }) => {
        checkIds('embedding', rt.i32(ids, n), v, null);
        k.embedding(table, ids, out, n, c, v);
      },
      embeddingBwd: ({ dout, ids, dtable, n, c, v }) => k.embeddingBackward(dout, ids, dtable, n, c, v),
      layerNorm: ({ x, w, b, out, mean, rstd, rows, c, eps }) => k.layerNorm(x, w, b, out, mean, rstd, rows, c, eps),
      layerNormBwd: ({ dout, x, w, mean, rstd, dx, dw, db, rows, c }) => k.layerNormBackward(dout, x, w, mean, rstd, dx, dw, db, rows, c),
      rmsNorm: ({ x, w, out, rstd, rows, c, eps }) => k.rmsNorm(x, w, out, rstd, rows, c, eps),
      rmsNormBwd: ({ dout, x, w, rstd, dx, dw, rows, c }) => k.rmsNormBackward(dout, x, w, rstd, dx, dw, rows, c),
      addLayerNorm: ({ x, r, s, w, b, out, mean, rstd, rows, c, eps }) => k.addLayerNorm(x, r, s, w, b, out, mean, rstd, rows, c, eps),
      addRmsNorm: ({ x, r, s, w, out, rstd, rows, c, eps }) => k.addRmsNorm(x, r, s, w, out, rstd, rows, c, eps),
      activation: ({ op, x, bias, out, rows, c }) => {
        if (bias !== null) {
          if (op !== 'gelu') throw new KernelError(`activation ${op} with a bias has no fused kernel`);
          return k.biasGelu(x, bias, out, rows, c);
        }
        if (op === 'gelu') k.gelu(x, out, rows * c);
        else k.silu(x, out, rows * c);
      },
      activationBwd: ({ op, x, bias, dout, dx, rows, c }) => {
        if (bias !== null) {
          if (op !== 'gelu') throw new KernelError(`activation ${op} with a bias has no fused kernel`);
          return k.biasGeluBackward(x, bias, dout, dx, 0, rows, c);
        }
        if (op === 'gelu') k.geluBackward(x, dout, dx, rows * c);
        else k.siluBackward(x, dout, dx, rows * c);
      },
      rope: ({ x, out, b, t, h, d, pos0, theta, inverse }) => {
        const tab = this.rope(d, theta, pos0 + t);
        k.rope(x, out, tab.cos, tab.sin, b, t, h, d, pos0, inverse);
      },
      attention: ({ q, k: kk, v, out, lse, b, t, tk, h, hkv, d, scale, causal, pastLen }) =>
        k.attention({ q, k: kk, v, o: out, lse, B: b, T: t, H: h, Hkv: hkv, D: d, pastLen, kvCap: tk, scale, causal }),
      attentionBwd: ({ q, k: kk, v, out, lse, dout, dq, dk, dv, b, t, tk, h, hkv, d, scale, causal, pastLen }) =>
        k.attentionBackward({ q, k: kk, v, o: out, lse, dO: dout, dq, dk, dv, B: b, T: t, H: h, Hkv: hkv, D: d, pastLen, kvCap: tk, scale, causal }),
      softmax: ({ x, out, rows, cols }) => k.softmax(x, out, rows, cols),
      softmaxBwd: ({ y, dy, dx, rows, cols }) => k.softmaxBackward(y, dy, dx, rows, cols),
      crossEntropy: ({ logits, targets, loss, lse, rows, v, ignoreIndex }) => {
        checkIds('crossEntropy', rt.i32(targets, rows), v, ignoreIndex);
        const rowLoss = rt.alloc(Math.max(rows, 1) * 4);
        try {
          const r = k.crossEntropy(logits, targets, rowLoss, lse, rows, v, ignoreIndex);
          rt.f32(loss, 1)[0] = r.loss;
        } finally {
          rt.free(rowLoss);
        }
      },
      crossEntropyBwd: ({ logits, targets, lse, dloss, dlogits, rows, v, ignoreIndex }) => {
        const tg = rt.i32(targets, rows);
        let count = 0;
        for (let r = 0; r < rows; r++) if (tg[r] !== ignoreIndex) count++;
        k.crossEntropyBackward(logits, targets, lse, dlogits, rows, v, count ? this.scalar(dloss) / count : 0, ignoreIndex);
      },
      dropout: ({ x, out, n, p, seed, offset }) => k.dropout(x, out, n, p, seed, offset),
      adamw: ({ p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, step }) =>
        k.adamw(p, g, m, v, n, { lr, beta1, beta2, eps, weightDecay, step }),
      sumSquares: ({ x, out, n, accumulate }) => {
        const s = k.sumSquares(x, n);
        const o = rt.f32(out, 1);
        o[0] = accumulate ? o[0] + s : s;
      },
    };
  }
}

/** Ids outside [0, v) would read or write outside the table: fail loudly instead. */
function checkIds(op: string, ids: Int32Array, v: number, ignoreIndex: number | null): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if ((id < 0 || id >= v) && id !== ignoreIndex) throw new RangeError(`${op}: id ${id} at position ${i} is out of range [0, ${v})`);
  }
}
