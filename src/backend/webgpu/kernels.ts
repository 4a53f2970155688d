// The webgpu kernel table: each kernel of the backend contract becomes one or a few WGSL
// dispatches, recorded (not run) into the current command batch. Temporaries come from the
// buffer pool, so a training step allocates nothing after the first.
// Dimensions: B batch, T time (Tk keys), C channels, H heads, Hkv kv heads, D head dim,
// V vocab, N rows.

import type { DType, KernelTable } from '../types.js';
import type { AdapterDescription } from './device.js';
import { WebGpuError, WebGpuLimitError } from './errors.js';
import { attentionMaxD, MATMUL_TILE, SUBGROUP_PATH_CODE, type MatmulVariant, type SubgroupPath, type Tuning } from './wgsl/index.js';
import { broadcastStrides, rowMajorStrides } from '../strides.js';

/** A webgpu storage handle: a pooled GPU buffer slot holding `size` elements of `dtype`. */
export interface GpuBuf {
  readonly slot: number;
  readonly bytes: number;
  readonly dtype: DType;
  readonly size: number;
}

/** Which kernel variants to use: by adapter class ('auto'), or forced (tests cover both). */
export type KernelChoice = 'auto' | 'gpu' | 'software';

/** The matmul part of a tuning. */
export type MatmulTuning = Pick<Tuning, 'matmul' | 'subgroupPath' | 'matmulFallback'>;

const TILED: MatmulTuning = { matmul: 'tiled', subgroupPath: 'auto' };

/**
 * Kernel choices for an adapter: GPUs get wide workgroups for the row and attention kernels;
 * software adapters (SwiftShader, llvmpipe), where every workgroup barrier is costly, narrow
 * ones (measured here: RMSNorm backward 4x, attention 20x faster on SwiftShader). The matmul
 * kernel comes from `matmulTuning`.
 */
export function tuningFor(hardware: boolean, choice: KernelChoice = 'auto', matmul: MatmulTuning = TILED): Tuning {
  const gpu = choice === 'auto' ? hardware : choice === 'gpu';
  return { ...(gpu ? { rowWG: 256, attentionWG: 64 } : { rowWG: 16, attentionWG: 16 }), ...matmul };
}

/** The subgroup sizes the subgroup matmul handles: powers of two in this range. */
export const SUBGROUP_SIZE_RANGE = [4, 128] as const;

/**
 * The matmul kernel for an adapter. 'tiled' stays the default: the subgroup variant has not
 * been measured on a real GPU, so it runs only when asked for. Asking for it on an adapter
 * without the `subgroups` feature throws WebGpuError; an adapter reporting subgroup sizes
 * the kernel does not handle gets 'tiled', with `matmulFallback` saying why.
 */
export function matmulTuning(
  adapter: Pick<AdapterDescription, 'features' | 'subgroupMinSize' | 'subgroupMaxSize' | 'description' | 'vendor'>,
  asked: MatmulVariant = 'tiled',
  subgroupPath: SubgroupPath = 'auto',
): MatmulTuning {
  if (asked === 'tiled') return TILED;
  if (!adapter.features.includes('subgroups')) {
    const name = [adapter.vendor, adapter.description].filter(Boolean).join(' ') || 'this adapter';
    throw new WebGpuError(`webgpu: the subgroup matmul needs the 'subgroups' feature, which ${name} does not offer; use ANVIL_WEBGPU_MATMUL=tiled`);
  }
  const [lo, hi] = SUBGROUP_SIZE_RANGE;
  const handled = (s: number | null): boolean => s === null || (s >= lo && s <= hi && (s & (s - 1)) === 0);
  if (!handled(adapter.subgroupMinSize) || !handled(adapter.subgroupMaxSize)) {
    const sizes = `${adapter.subgroupMinSize}-${adapter.subgroupMaxSize}`;
    return { ...TILED, matmulFallback: `subgroup sizes ${sizes} are outside the powers of two ${lo}-${hi} the subgroup matmul handles` };
  }
  return { matmul: 'subgroup', subgroupPath };
}

/** Reads a matmul variant name (ANVIL_WEBGPU_MATMUL); unset or empty means 'tiled'. */
export function parseMatmulVariant(value: string | undefined): MatmulVariant {
  if (value === undefined || value === '') return 'tiled';
  if (value === 'tiled' || value === 'subgroup') return value;
  throw new WebGpuError(`webgpu: ANVIL_WEBGPU_MATMUL must be 'tiled' or 'subgroup', not '${value}'`);
}

/** What kernels need from the backend: record a dispatch, borrow pooled temporaries. */
export interface Recorder {
  readonly tuning: Tuning;
  /** Records a dispatch of a named shader; null buffers bind a placeholder. */
  dispatch(shader: string, bufs: (GpuBuf | null)[], params: number[], groups: [number, number, number]): void;
  temp(dtype: DType, size: number): GpuBuf;
  release(b: GpuBuf): void;
  /** cos / sin tables (positions, D/2) for RoPE, computed on the host in float64. */
  ropeTables(theta: number, d: number, positions: number): [GpuBuf, GpuBuf];
}

const F = new Float32Array(1);
const U = new Uint32Array(F.buffer);
/** The bits of a float parameter. */
export function fbits(x: number): number {
  F[0] = x;
  return U[0];
}

const MAX_GROUPS = 65535;

/** A 2D grid of `groups` workgroups (x at most 65535). */
function grid(groups: number): [number, number, number] {
  const x = Math.max(1, Math.min(groups, MAX_GROUPS));
  return [x, Math.ceil(groups / x), 1];
}
const perThread = (n: number): [number, number, number] => grid(Math.ceil(n / 256));

const DTYPE_CODE: Record<DType, number> = { f32: 0, bf16: 1, f16: 2, i32: 3, u16: 4 };
const BINARY_CODE = { add: 0, sub: 1, mul: 2, div: 3 } as const;
const REDUCE_CODE = { sum: 0, mean: 1, max: 2 } as const;
const MAX_RANK = 8;

/** Pads a shape-like list to MAX_RANK entries. */
function pad(xs: number[], fill: number): number[] {
  if (xs.length > MAX_RANK) throw new WebGpuLimitError(`webgpu: tensors of rank ${xs.length} exceed the kernels' ${MAX_RANK}`);
  return [...xs, ...new Array<number>(MAX_RANK - xs.length).fill(fill)];
}

/** The kernel table, recording into `rec`. */
export function webgpuKernels(rec: Recorder): KernelTable<GpuBuf> {
  const attentionParams = (a: { b: number; t: number; tk: number; h: number; hkv: number; d: number; scale: number; causal: boolean; pastLen: number }, rows: number): number[] => {
    const maxD = attentionMaxD(rec.tuning.attentionWG);
    if (a.d > maxD) throw new WebGpuLimitError(`webgpu attention: head dim ${a.d} exceeds ${maxD}`);
    return [rows, a.t, a.tk, a.h, a.hkv, a.d, fbits(a.scale), a.causal ? 1 : 0, a.pastLen];
  };

  const table: KernelTable<GpuBuf> = {
    fill({ out, n, value }) {
      if (n > 0) rec.dispatch('fill', [out], [n, fbits(value)], perThread(n));
    },

    copy2d({ src, srcOff, srcStride, dst, dstOff, dstStride, rows, cols, accumulate }) {
      if (rows * cols === 0) return;
      if (src.dtype === 'bf16' || src.dtype === 'f16' || src.dtype === 'u16') {
        if (accumulate) throw new WebGpuLimitError(`webgpu copy2d: accumulate on ${src.dtype} storage`);
        const first = Math.floor(dstOff / 2);
        const last = Math.floor((dstOff + (rows - 1) * dstStride + cols - 1) / 2);
        const n = last - first + 1;
        rec.dispatch('copy2d16', [src, dst], [n, first, cols, srcOff, srcStride, dstOff, dstStride, rows], perThread(n));
        return;
      }
      const n = rows * cols;
      rec.dispatch('copy2d', [src, dst], [n, cols, srcOff, srcStride, dstOff, dstStride, accumulate ? 1 : 0], perThread(n));
    },

    cast({ src, srcType, dst, dstType, n }) {
      const pairs = Math.ceil(n / 2);
      if (pairs > 0) rec.dispatch('cast', [src, dst], [pairs, n, DTYPE_CODE[srcType], DTYPE_CODE[dstType]], perThread(pairs));
    },

    matmul({ a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate }) {
      if (batch * m * n === 0) return;
      const run = (out: GpuBuf, bt: number, kk: number, sa: number, sb: number, sc: number, acc: boolean): void => {
        if (bt > MAX_GROUPS) throw new WebGpuLimitError(`webgpu matmul: batch ${bt} exceeds ${MAX_GROUPS}`);
        const groups: [number, number, number] = [Math.ceil(n / MATMUL_TILE), Math.ceil(m / MATMUL_TILE), bt];
        const params = [m, n, kk, transA ? 1 : 0, transB ? 1 : 0, sa, sb, sc, acc ? 1 : 0];
        if (rec.tuning.matmul === 'subgroup') {
          rec.dispatch('matmulSubgroup', [a, b, out], [...params, SUBGROUP_PATH_CODE[rec.tuning.subgroupPath]], groups);
        } else {
          rec.dispatch('matmul', [a, b, out], params, groups);
        }
      };
      if (strideC !== 0 || batch === 1) {
        run(c, batch, k, strideA, strideB, strideC, accumulate);
        return;
      }
      // Every batch item adds into one C (a shared weight's gradient). With A transposed and
      // both operands contiguous over the batch, that is one product with K = batch * k.
      if (transA && !transB && strideA === m * k && strideB === k * n) {
        run(c, 1, batch * k, 0, 0, 0, accumulate);
        return;
      }
      // Otherwise sum the items through a temporary, so that no two workgroups add into one C.
      const tmp = rec.temp('f32', batch * m * n);
      run(tmp, batch, k, strideA, strideB, m * n, false);
      table.sumTo({ x: tmp, out: c, xShape: [batch, m * n], outShape: [1, m * n], accumulate });
      rec.release(tmp);
    },

    binary({ op, a, b, out, shape, aShape, bShape }) {
      const n = shape.reduce((x, y) => x * y, 1);
      if (n === 0) return;
      const sa = broadcastStrides(aShape, shape);
      const sb = broadcastStrides(bShape, shape);
      rec.dispatch('binary', [a, b, out], [n, BINARY_CODE[op], shape.length, ...pad(shape, 1), ...pad(sa, 0), ...pad(sb, 0)], perThread(n));
    },

    affine({ a, out, n, mul, add }) {
      if (n > 0) rec.dispatch('affine', [a, out], [n, fbits(mul), fbits(add)], perThread(n));
    },

    sumTo({ x, out, xShape, outShape, accumulate }) {
      const nOut = outShape.reduce((p, q) => p * q, 1);
      const r = xShape.reduce((p, q, i) => (outShape[i] === 1 ? p * q : p), 1);
      if (nOut === 0) return;
      const params = [nOut, xShape.length, accumulate ? 1 : 0, r, ...pad(xShape, 1), ...pad(outShape, 1), ...pad(rowMajorStrides(xShape), 0)];
      rec.dispatch('sumTo', [x, out], params, grid(nOut));
    },

    reduceLast({ op, x, out, argmax, rows, cols }) {
      if (rows > 0) rec.dispatch('reduceLast', [x, out, argmax], [rows, cols, REDUCE_CODE[op], argmax ? 1 : 0], grid(rows));
    },

    reduceLastBwd({ op, dout, dx, argmax, rows, cols }) {
      const n = rows * cols;
      if (n > 0) rec.dispatch('reduceLastBwd', [dout, argmax, dx], [n, REDUCE_CODE[op], cols], perThread(n));
    },

    embedding({ table: t, ids, out, n, c, v }) {
      if (n * c > 0) rec.dispatch('embedding', [t, ids, out], [n * c, c, v], perThread(n * c));
    },

    embeddingBwd({ dout, ids, dtable, n, c, v }) {
      if (n * c > 0) rec.dispatch('embeddingBwd', [dout, ids, dtable], [n * c, c, v], perThread(n * c));
    },

    layerNorm({ x, w, b, out, mean, rstd, rows, c, eps }) {
      if (rows > 0) rec.dispatch('layerNorm', [x, null, w, b, out, mean, rstd, null], [rows, c, fbits(eps), 0], grid(rows));
    },

    layerNormBwd({ dout, x, w, mean, rstd, dx, dw, db, rows, c }) {
      if (rows === 0) return;
      rec.dispatch('layerNormBwd', [dout, x, w, mean, rstd, dx], [rows, c], grid(rows));
      rec.dispatch('normBwdCols', [dout, x, mean, rstd, dw, db], [c, rows, 0], perThread(c));
    },

    rmsNorm({ x, w, out, rstd, rows, c, eps }) {
      if (rows > 0) rec.dispatch('rmsNorm', [x, null, w, out, rstd, null], [rows, c, fbits(eps), 0], grid(rows));
    },

    rmsNormBwd({ dout, x, w, rstd, dx, dw, rows, c }) {
      if (rows === 0) return;
      rec.dispatch('rmsNormBwd', [dout, x, w, rstd, dx], [rows, c], grid(rows));
      rec.dispatch('normBwdCols', [dout, x, null, rstd, dw, null], [c, rows, 1], perThread(c));
    },

    addLayerNorm({ x, r, s, w, b, out, mean, rstd, rows, c, eps }) {
      if (rows > 0) rec.dispatch('layerNorm', [x, r, w, b, out, mean, rstd, s], [rows, c, fbits(eps), 1], grid(rows));
    },

    addRmsNorm({ x, r, s, w, out, rstd, rows, c, eps }) {
      if (rows > 0) rec.dispatch('rmsNorm', [x, r, w, out, rstd, s], [rows, c, fbits(eps), 1], grid(rows));
    },

    activation({ op, x, bias, out, rows, c }) {
      const n = rows * c;
      if (n > 0) rec.dispatch('activation', [x, bias, out], [n, c, op === 'gelu' ? 0 : 1, bias ? 1 : 0], perThread(n));
    },

    activationBwd({ op, x, bias, dout, dx, rows, c }) {
      const n = rows * c;
      if (n > 0) rec.dispatch('activationBwd', [x, bias, dout, dx], [n, c, op === 'gelu' ? 0 : 1, bias ? 1 : 0], perThread(n));
    },

    rope({ x, out, b, t, h, d, pos0, theta, inverse }) {
      const n = (b * t * h * d) / 2;
      if (n === 0) return;
      const [cos, sin] = rec.ropeTables(theta, d, pos0 + t);
      rec.dispatch('rope', [x, cos, sin, out], [n, t, h, d, pos0, inverse ? 1 : 0], perThread(n));
    },

    attention(a) {
      const rows = a.b * a.t * a.h;
      if (rows > 0) rec.dispatch('attention', [a.q, a.k, a.v, a.out, a.lse], attentionParams(a, rows), grid(rows));
    },

    attentionBwd(a) {
      const rows = a.b * a.t * a.h;
      const krows = a.b * a.tk * a.hkv;
      if (krows === 0) return;
      const delta = rec.temp('f32', Math.max(1, rows));
      if (rows > 0) {
        rec.dispatch('attentionDelta', [a.out, a.dout, delta], attentionParams(a, rows), perThread(rows));
        rec.dispatch('attentionDq', [a.q, a.k, a.v, a.lse, a.dout, delta, a.dq], attentionParams(a, rows), grid(rows));
      }
      rec.dispatch('attentionDkv', [a.q, a.k, a.v, a.lse, a.dout, delta, a.dk, a.dv], attentionParams(a, krows), grid(krows));
      rec.release(delta);
    },

    softmax({ x, out, rows, cols }) {
      if (rows > 0) rec.dispatch('softmax', [x, out], [rows, cols], grid(rows));
    },

    softmaxBwd({ y, dy, dx, rows, cols }) {
      if (rows > 0) rec.dispatch('softmaxBwd', [y, dy, dx], [rows, cols], grid(rows));
    },

    crossEntropy({ logits, targets, loss, lse, rows, v, ignoreIndex }) {
      const rowLoss = rec.temp('f32', Math.max(1, rows));
      if (rows > 0) rec.dispatch('crossEntropy', [logits, targets, lse, rowLoss], [rows, v, ignoreIndex >>> 0], grid(rows));
      rec.dispatch('ceLoss', [targets, rowLoss, loss], [1, rows, ignoreIndex >>> 0], [1, 1, 1]);
      rec.release(rowLoss);
    },

    crossEntropyBwd({ logits, targets, lse, dloss, dlogits, rows, v, ignoreIndex }) {
      if (rows * v === 0) return;
      const scale = rec.temp('f32', 1);
      rec.dispatch('ceScale', [targets, dloss, scale], [1, rows, ignoreIndex >>> 0], [1, 1, 1]);
      rec.dispatch('crossEntropyBwd', [logits, targets, lse, scale, dlogits], [rows * v, v, ignoreIndex >>> 0], perThread(rows * v));
      rec.release(scale);
    },

    dropout({ x, out, n, p, seed, offset }) {
      if (n === 0) return;
      const threshold = Math.min(2 ** 24, Math.ceil(p * 2 ** 24));
      rec.dispatch('dropout', [x, out], [n, threshold, fbits(1 / (1 - p)), seed >>> 0, offset >>> 0], perThread(n));
    },

    adamw({ p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, step }) {
      if (n === 0) return;
      const params = [n, lr, beta1, beta2, eps, weightDecay, 1 - beta1 ** step, 1 - beta2 ** step].map((x, i) => (i === 0 ? x : fbits(x)));
      rec.dispatch('adamw', [p, g, m, v], params, perThread(n));
    },

    sumSquares({ x, out, n, accumulate }) {
      const groups = Math.max(1, Math.min(256, Math.ceil(n / 1024)));
      const partial = rec.temp('f32', groups);
      rec.dispatch('sumSquaresPartial', [x, partial], [groups, n], [groups, 1, 1]);
      rec.dispatch('sumSquaresFinal', [partial, out], [1, groups, accumulate ? 1 : 0], [1, 1, 1]);
      rec.release(partial);
    },
  };
  return table;
}
