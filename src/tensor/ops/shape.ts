// Ops that move data without arithmetic: reshape (a view), slice along the last axis, and
// casts between dtypes (bf16 / f16 are storage formats; arithmetic is f32).

import type { DType } from '../../backend/types.js';
import { rowsCols, shapeFail, type OpDef } from './def.js';

export interface ReshapeAttrs {
  shape: number[];
}

export const reshape: OpDef<ReshapeAttrs> = {
  view: true,
  shape([x], { shape }) {
    const free = shape.filter((d) => d === -1).length;
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (free > 1 || shape.some((d) => d < -1 || !Number.isInteger(d))) shapeFail('reshape', [x], `bad target shape [${shape.join(', ')}]`);
    const out = shape.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
    if (out.reduce((a, b) => a * b, 1) !== x.size || out.some((d) => !Number.isInteger(d))) {
      shapeFail('reshape', [x], `cannot reshape ${x.size} elements to [${shape.join(', ')}]`);
    }
    return [{ shape: out, dtype: x.dtype }];
  },
  forward() {
    return [];
  },
  backward(e, [g], [x]) {
    return [g ? e.reshape(g, x.shape) : null];
  },
};

export interface SliceAttrs {
  start: number;
  end: number;
}

export const slice: OpDef<SliceAttrs> = {
  shape([x], { start, end }) {
    const c = x.shape[x.shape.length - 1];
    if (x.shape.length === 0 || !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= c)) {
      shapeFail('slice', [x], `bad range [${start}, ${end}) of the last axis`);
    }
    if (x.dtype !== 'f32') shapeFail('slice', [x], 'input must be f32');
    return [{ shape: [...x.shape.slice(0, -1), end - start], dtype: x.dtype }];
  },
  forward(e, [x], [out], { start, end }) {
    const [rows, c] = rowsCols(x);
    e.k.copy2d({ src: x.handle, srcOff: start, srcStride: c, dst: out.handle, dstOff: 0, dstStride: end - start, rows, cols: end - start, accumulate: false });
    return [];
  },
  backward(e, [g], [x], _out, { start, end }) {
    if (!g || !x.requiresGrad) return [null];
    const [rows, c] = rowsCols(x);
    // Slices of one tensor (q, k, v of a fused projection) add their parts into one buffer.
    const dx = e.gradSink(x);
    e.k.copy2d({ src: g.handle, srcOff: 0, srcStride: end - start, dst: dx.handle, dstOff: start, dstStride: c, rows, cols: end - start, accumulate: true });
    return [null];
  },
};

export interface CastAttrs {
  dtype: DType;
}

const FLOAT = new Set<DType>(['f32', 'bf16', 'f16']);

export const cast: OpDef<CastAttrs> = {
  shape([x], { dtype }) {
    return [{ shape: [...x.shape], dtype }];
  },
  forward(e, [x], [out], { dtype }) {
    e.k.cast({ src: x.handle, srcType: x.dtype, dst: out.handle, dstType: dtype, n: x.size });
    return [];
  },
  backward(_e, [g], [x], _out, { dtype }) {
    // Straight through: gradients are f32 whatever the storage format of x.
    return [g && FLOAT.has(x.dtype) && FLOAT.has(dtype) ? g : null];
  },
};
