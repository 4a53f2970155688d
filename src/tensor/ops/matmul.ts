// Batched matmul with transposes: a (..., M, K) · b (..., K, N), or b (K, N) shared across
// the batch (weights). transA / transB read the stored last two axes transposed. When b is
// shared and a is not transposed, the batch folds into M: one large matmul, and the weight
// gradient is a single A^T · dC over all rows.

import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { requireF32, shapeFail, type OpDef } from './def.js';

export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
}

interface Plan {
  batch: number;
  m: number;
  n: number;
  k: number;
  aBatched: boolean;
  bBatched: boolean;
  batchShape: number[];
}

function plan(a: Tensor, b: Tensor, { transA, transB }: MatmulAttrs): Plan {
  const fail = (why: string): never => shapeFail('matmul', [a, b], why);
  if (a.shape.length < 2 || b.shape.length < 2) fail('both inputs need at least 2 dimensions');
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = transA ? a.shape[ar - 1] : a.shape[ar - 2];
  const ka = transA ? a.shape[ar - 2] : a.shape[ar - 1];
  const kb = transB ? b.shape[br - 1] : b.shape[br - 2];
  const n = transB ? b.shape[br - 2] : b.shape[br - 1];
  if (ka !== kb) fail(`inner dimensions differ (${ka} vs ${kb})`);
  const aB = a.shape.slice(0, -2);
  const bB = b.shape.slice(0, -2);
  const aBatched = aB.length > 0;
  const bBatched = bB.length > 0;
  if (aBatched && bBatched && (aB.length !== bB.length || aB.some((d, i) => d !== bB[i]))) {
    fail('batch dimensions differ (one side may be 2-D to share it across the batch)');
  }
  const batchShape = aBatched ? aB : bB;
  return { batch: batchShape.reduce((x, y) => x * y, 1), m, n, k: ka, aBatched, bBatched, batchShape };
}

/**
 * C = op(A)·op(B) on raw handles. When C is not batched but the product is (a shared weight's
 * gradient), every batch item is summed into C. `add` adds into C instead of overwriting it.
 */
function run(
  e: Engine, a: Tensor, b: Tensor, c: Tensor, p: { batch: number; m: number; n: number; k: number },
  transA: boolean, transB: boolean, aBatched: boolean, bBatched: boolean, cBatched: boolean, add = false,
): void {
  const { batch, m, n, k } = p;
  const sumIntoShared = !cBatched && batch > 1;
  if (sumIntoShared && !add) e.k.fill({ out: c.handle, n: c.size, value: 0 });
  e.k.matmul({
    a: a.handle, b: b.handle, c: c.handle, batch, m, n, k, transA, transB,
    strideA: aBatched ? m * k : 0, strideB: bBatched ? k * n : 0, strideC: cBatched ? m * n : 0,
    accumulate: sumIntoShared || add,
    ...(e.matmulPrecision === 'bf16' ? { precision: 'bf16' as const } : {}),
  });
}

/** Where the gradient of t goes: straight into a leaf's `.grad` (added), else a new tensor. */
function target(e: Engine, t: Tensor): { buf: Tensor; add: boolean } {
  return t.node === null ? { buf: e.gradSink(t), add: true } : { buf: e.empty(t.shape), add: false };
}

export const matmul: OpDef<MatmulAttrs> = {
  shape([a, b], attrs) {
    requireF32('matmul', [a, b]);
    const p = plan(a, b, attrs);
    return [{ shape: [...p.batchShape, p.m, p.n], dtype: 'f32' }];
  },
  forward(e, [a, b], [c], attrs) {
    const p = plan(a, b, attrs);
    if (p.aBatched && !p.bBatched && !attrs.transA) {
      run(e, a, b, c, { batch: 1, m: p.batch * p.m, n: p.n, k: p.k }, false, attrs.transB, false, false, true);
    } else {
      run(e, a, b, c, p, attrs.transA, attrs.transB, p.aBatched, p.bBatched, true);
    }
    return [];
  },
  backward(e, [g], [a, b], _out, attrs) {
    if (!g) return [null, null];
    const { transA, transB } = attrs;
    const p = plan(a, b, attrs);
    const fold = p.aBatched && !p.bBatched && !transA;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      const { buf, add } = target(e, a);
      if (!add) da = buf;
      if (!transA) {
        // dA (M, K) = dC (M, N) · op(B)^T
        const q = fold ? { batch: 1, m: p.batch * p.m, n: p.k, k: p.n } : { batch: p.batch, m: p.m, n: p.k, k: p.n };
        run(e, g, b, buf, q, false, !transB, !fold, p.bBatched, fold || p.aBatched, add);
      } else {
        // dA (K, M) = op(B) (K, N) · dC^T (N, M)
        run(e, b, g, buf, { batch: p.batch, m: p.k, n: p.m, k: p.n }, transB, true, p.bBatched, true, p.aBatched, add);
      }
    }
    if (b.requiresGrad) {
      const { buf, add } = target(e, b);
      if (!add) db = buf;
      const rowsA = fold ? p.batch * p.m : p.m;
      const q = fold ? { batch: 1 } : { batch: p.batch };
      if (!transB) {
        // dB (K, N) = op(A)^T (K, M) · dC (M, N)
        run(e, a, g, buf, { ...q, m: p.k, n: p.n, k: rowsA }, !transA, false, !fold && p.aBatched, !fold, fold || p.bBatched, add);
      } else {
        // dB (N, K) = dC^T (N, M) · op(A) (M, K)
        run(e, g, a, buf, { ...q, m: p.n, n: p.k, k: rowsA }, true, transA, !fold, !fold && p.aBatched, fold || p.bBatched, add);
      }
    }
    return [da, db];
  },
};
