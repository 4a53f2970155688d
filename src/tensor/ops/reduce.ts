// Sum, mean and max over the last axis: (..., C) -> (...). Max saves the argmax (i32) so
// the gradient goes to the first maximum.

import { requireF32, rowsCols, shapeFail, type OpDef } from './def.js';

export interface ReduceAttrs {
  op: 'sum' | 'mean' | 'max';
}

export const reduceLast: OpDef<ReduceAttrs> = {
  shape([x], { op }) {
    requireF32(op, [x]);
    if (x.shape.length === 0) shapeFail(op, [x], 'needs at least one axis');
    if (op === 'max' && x.shape[x.shape.length - 1] === 0) shapeFail(op, [x], 'max over an empty axis');
    return [{ shape: x.shape.slice(0, -1), dtype: 'f32' }];
  },
  forward(e, [x], [out], { op }) {
    const [rows, cols] = rowsCols(x);
    const argmax = op === 'max' ? e.empty(out.shape, 'i32') : null;
    e.k.reduceLast({ op, x: x.handle, out: out.handle, argmax: argmax?.handle ?? null, rows, cols });
    return argmax ? [argmax] : [];
  },
  backward(e, [g], [x], _out, { op }, saved) {
    if (!g) return [null];
    const [rows, cols] = rowsCols(x);
    const dx = e.empty(x.shape);
    e.k.reduceLastBwd({ op, dout: g.handle, dx: dx.handle, argmax: op === 'max' ? saved[0].handle : null, rows, cols });
    return [dx];
  },
};
