// Elementwise arithmetic with numpy broadcasting (add, sub, mul, div), the scalar affine
// a * mul + add, and sum-to-shape, the reduction a broadcast input's gradient needs.

import type { BinaryOp } from '../../backend/types.js';
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { requireF32, shapeFail, type OpDef } from './def.js';

/** The broadcast shape of two shapes, or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const pad = (s: readonly number[], rank: number): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];

/** g summed down to `shape` (g itself when the shapes already match). */
export function sumTo(e: Engine, g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const out = e.empty(shape);
  e.k.sumTo({ x: g.handle, out: out.handle, xShape: [...g.shape], outShape: pad(shape, g.shape.length), accumulate: false });
  return out;
}

/**
 * The gradient of input t from g (t's broadcast axes summed): a leaf parameter (a bias) gets
 * it added straight into its `.grad` and null is returned; otherwise a tensor.
 */
export function gradTo(e: Engine, g: Tensor, t: Tensor): Tensor | null {
  const same = g.shape.length === t.shape.length && g.shape.every((d, i) => d === t.shape[i]);
  if (same || t.node !== null) return sumTo(e, g, t.shape);
  e.k.sumTo({ x: g.handle, out: e.gradSink(t).handle, xShape: [...g.shape], outShape: pad(t.shape, g.shape.length), accumulate: true });
  return null;
}

export interface BinaryAttrs {
  op: BinaryOp;
}

export const binary: OpDef<BinaryAttrs> = {
  shape([a, b], { op }) {
    requireF32(op, [a, b]);
    const s = broadcastShape(a.shape, b.shape);
    if (!s) shapeFail(op, [a, b], 'shapes do not broadcast');
    return [{ shape: s, dtype: 'f32' }];
  },
  forward(e, [a, b], [out], { op }) {
    const r = out.shape.length;
    e.k.binary({ op, a: a.handle, b: b.handle, out: out.handle, shape: [...out.shape], aShape: pad(a.shape, r), bShape: pad(b.shape, r) });
    return [];
  },
  backward(e, [g], [a, b], [out], { op }) {
    if (!g) return [null, null];
    // Temporaries made here are freed as soon as they have been reduced.
    const via = (tmp: Tensor, t: Tensor): Tensor | null => {
      const r = gradTo(e, tmp, t);
      if (r !== tmp) tmp.dispose();
      return r;
    };
    const ga = !a.requiresGrad ? null
      : op === 'add' || op === 'sub' ? gradTo(e, g, a)
      : op === 'mul' ? via(e.mul(g, b), a)
      : via(e.div(g, b), a);
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      if (op === 'add') gb = gradTo(e, g, b);
      else if (op === 'sub') gb = via(e.mulScalar(g, -1), b);
      else if (op === 'mul') gb = via(e.mul(g, a), b);
      else gb = via(e.mulScalar(e.div(e.mul(g, out), b), -1), b); // d(a/b)/db = -out/b
    }
    return [ga, gb];
  },
};

export interface AffineAttrs {
  mul: number;
  add: number;
}

export const affine: OpDef<AffineAttrs> = {
  shape([a]) {
    requireF32('affine', [a]);
    return [{ shape: [...a.shape], dtype: 'f32' }];
  },
  forward(e, [a], [out], { mul, add }) {
    e.k.affine({ a: a.handle, out: out.handle, n: a.size, mul, add });
    return [];
  },
  backward(e, [g], _in, _out, { mul }) {
    return [g ? e.mulScalar(g, mul) : null];
  },
};
