// Neural-network layers over the last axis (C): embedding gather / scatter-add, LayerNorm,
// RMSNorm, the fused residual-add + norm variants, GELU (tanh) / SiLU / fused bias+GELU,
// softmax and dropout. Norm statistics (mean, rstd) are saved for the backward pass.

import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { requireF32, rowsCols, shapeFail, type OpDef } from './def.js';
import { gradTo } from './elementwise.js';

const lastDim = (t: Tensor): number => t.shape[t.shape.length - 1];
const isVec = (w: Tensor, c: number): boolean => w.shape.length === 1 && w.shape[0] === c;

export const embedding: OpDef<Record<string, never>> = {
  shape([table, ids]) {
    if (table.shape.length !== 2 || table.dtype !== 'f32') shapeFail('embedding', [table, ids], 'table must be f32 (V, C)');
    if (ids.dtype !== 'i32') shapeFail('embedding', [table, ids], 'ids must be i32');
    return [{ shape: [...ids.shape, table.shape[1]], dtype: 'f32' }];
  },
  forward(e, [table, ids], [out]) {
    e.k.embedding({ table: table.handle, ids: ids.handle, out: out.handle, n: ids.size, c: table.shape[1], v: table.shape[0] });
    return [];
  },
  backward(e, [g], [table, ids]) {
    if (!g || !table.requiresGrad) return [null, null];
    e.k.embeddingBwd({ dout: g.handle, ids: ids.handle, dtable: e.gradSink(table).handle, n: ids.size, c: table.shape[1], v: table.shape[0] });
    return [null, null];
  },
};

export interface NormAttrs {
  eps: number;
}

function checkNorm(op: string, x: Tensor, params: Tensor[], all: Tensor[]): void {
  requireF32(op, all);
  if (x.shape.length === 0) shapeFail(op, all, 'x needs a last axis');
  for (const w of params) if (!isVec(w, lastDim(x))) shapeFail(op, all, `weight and bias must be (${lastDim(x)})`);
}

export const layerNorm: OpDef<NormAttrs> = {
  shape(inputs) {
    checkNorm('layerNorm', inputs[0], inputs.slice(1), [...inputs]);
    return [{ shape: [...inputs[0].shape], dtype: 'f32' }];
  },
  forward(e, [x, w, b], [out], { eps }) {
    const [rows, c] = rowsCols(x);
    const mean = e.empty([rows]);
    const rstd = e.empty([rows]);
    e.k.layerNorm({ x: x.handle, w: w.handle, b: b.handle, out: out.handle, mean: mean.handle, rstd: rstd.handle, rows, c, eps });
    return [mean, rstd];
  },
  backward(e, [g], [x, w, b], _out, _a, [mean, rstd]) {
    if (!g) return [null, null, null];
    const [rows, c] = rowsCols(x);
    const dx = e.empty(x.shape);
    const dw = w.requiresGrad ? e.gradSink(w) : e.zeros(w.shape);
    const db = b.requiresGrad ? e.gradSink(b) : e.zeros(b.shape);
    e.k.layerNormBwd({ dout: g.handle, x: x.handle, w: w.handle, mean: mean.handle, rstd: rstd.handle, dx: dx.handle, dw: dw.handle, db: db.handle, rows, c });
    for (const [t, buf] of [[w, dw], [b, db]]) if (!t.requiresGrad) buf.dispose(); // scratch
    return [dx, null, null];
  },
};

export const rmsNorm: OpDef<NormAttrs> = {
  shape(inputs) {
    checkNorm('rmsNorm', inputs[0], inputs.slice(1), [...inputs]);
    return [{ shape: [...inputs[0].shape], dtype: 'f32' }];
  },
  forward(e, [x, w], [out], { eps }) {
    const [rows, c] = rowsCols(x);
    const rstd = e.empty([rows]);
    e.k.rmsNorm({ x: x.handle, w: w.handle, out: out.handle, rstd: rstd.handle, rows, c, eps });
    return [rstd];
  },
  backward(e, [g], [x, w], _out, _a, [rstd]) {
    if (!g) return [null, null];
    const [rows, c] = rowsCols(x);
    const dx = e.empty(x.shape);
    const dw = w.requiresGrad ? e.gradSink(w) : e.zeros(w.shape);
    e.k.rmsNormBwd({ dout: g.handle, x: x.handle, w: w.handle, rstd: rstd.handle, dx: dx.handle, dw: dw.handle, rows, c });
    if (!w.requiresGrad) dw.dispose(); // scratch
    return [dx, null];
  },
};

function checkResidual(op: string, inputs: readonly Tensor[]): void {
  const [x, r] = inputs;
  if (x.shape.length !== r.shape.length || x.shape.some((d, i) => d !== r.shape[i])) shapeFail(op, inputs, 'x and the residual must have the same shape');
  checkNorm(op, x, inputs.slice(2), [...inputs]);
}

/** Gradient flowing into s = x + r: the norm's dx plus any gradient of s itself. */
function residualGrad(e: Engine, dx: Tensor | null, gs: Tensor | null): Tensor | null {
  if (dx && gs) {
    e.k.binary({ op: 'add', a: dx.handle, b: gs.handle, out: dx.handle, shape: [dx.size], aShape: [dx.size], bShape: [dx.size] });
    return dx;
  }
  return dx ?? gs;
}

export const addLayerNorm: OpDef<NormAttrs> = {
  shape(inputs) {
    checkResidual('addLayerNorm', inputs);
    const s = [...inputs[0].shape];
    return [{ shape: s, dtype: 'f32' }, { shape: [...s], dtype: 'f32' }];
  },
  forward(e, [x, r, w, b], [s, out], { eps }) {
    const [rows, c] = rowsCols(x);
    const mean = e.empty([rows]);
    const rstd = e.empty([rows]);
    e.k.addLayerNorm({ x: x.handle, r: r.handle, s: s.handle, w: w.handle, b: b.handle, out: out.handle, mean: mean.handle, rstd: rstd.handle, rows, c, eps });
    return [mean, rstd];
  },
  backward(e, [gs, gy], [x, , w, b], [s], _a, [mean, rstd]) {
    const [rows, c] = rowsCols(x);
    let dx: Tensor | null = null;
    if (gy) {
      dx = e.empty(x.shape);
      const dw = w.requiresGrad ? e.gradSink(w) : e.zeros(w.shape);
      const db = b.requiresGrad ? e.gradSink(b) : e.zeros(b.shape);
      e.k.layerNormBwd({ dout: gy.handle, x: s.handle, w: w.handle, mean: mean.handle, rstd: rstd.handle, dx: dx.handle, dw: dw.handle, db: db.handle, rows, c });
      for (const [t, buf] of [[w, dw], [b, db]]) if (!t.requiresGrad) buf.dispose(); // scratch
    }
    const d = residualGrad(e, dx, gs);
    return [d, d, null, null];
  },
};

export const addRmsNorm: OpDef<NormAttrs> = {
  shape(inputs) {
    checkResidual('addRmsNorm', inputs);
    const s = [...inputs[0].shape];
    return [{ shape: s, dtype: 'f32' }, { shape: [...s], dtype: 'f32' }];
  },
  forward(e, [x, r, w], [s, out], { eps }) {
    const [rows, c] = rowsCols(x);
    const rstd = e.empty([rows]);
    e.k.addRmsNorm({ x: x.handle, r: r.handle, s: s.handle, w: w.handle, out: out.handle, rstd: rstd.handle, rows, c, eps });
    return [rstd];
  },
  backward(e, [gs, gy], [x, , w], [s], _a, [rstd]) {
    const [rows, c] = rowsCols(x);
    let dx: Tensor | null = null;
    if (gy) {
      dx = e.empty(x.shape);
      const dw = w.requiresGrad ? e.gradSink(w) : e.zeros(w.shape);
      e.k.rmsNormBwd({ dout: gy.handle, x: s.handle, w: w.handle, rstd: rstd.handle, dx: dx.handle, dw: dw.handle, rows, c });
      if (!w.requiresGrad) dw.dispose(); // scratch
    }
    const d = residualGrad(e, dx, gs);
    return [d, d, null];
  },
};

export interface ActivationAttrs {
  op: 'gelu' | 'silu';
}

/** gelu(x [+ bias]) or silu(x): inputs [x] or [x, bias (C)]. */
export const activation: OpDef<ActivationAttrs> = {
  shape(inputs, { op }) {
    requireF32(op, inputs);
    const [x, bias] = inputs;
    if (bias && (x.shape.length === 0 || !isVec(bias, lastDim(x)))) shapeFail('biasGelu', inputs, `bias must be (${lastDim(x)})`);
    return [{ shape: [...x.shape], dtype: 'f32' }];
  },
  forward(e, [x, bias], [out], { op }) {
    const [rows, c] = bias ? rowsCols(x) : [1, x.size];
    e.k.activation({ op, x: x.handle, bias: bias?.handle ?? null, out: out.handle, rows, c });
    return [];
  },
  backward(e, [g], [x, bias], _out, { op }) {
    if (!g) return bias ? [null, null] : [null];
    const [rows, c] = bias ? rowsCols(x) : [1, x.size];
    const dx = e.empty(x.shape);
    e.k.activationBwd({ op, x: x.handle, bias: bias?.handle ?? null, dout: g.handle, dx: dx.handle, rows, c });
    return bias ? [dx, bias.requiresGrad ? gradTo(e, dx, bias) : null] : [dx];
  },
};

export const softmax: OpDef<Record<string, never>> = {
  shape([x]) {
    requireF32('softmax', [x]);
    if (x.shape.length === 0) shapeFail('softmax', [x], 'needs a last axis');
    return [{ shape: [...x.shape], dtype: 'f32' }];
  },
  forward(e, [x], [out]) {
    const [rows, cols] = rowsCols(x);
    e.k.softmax({ x: x.handle, out: out.handle, rows, cols });
    return [];
  },
  backward(e, [g], [x], [y]) {
    if (!g) return [null];
    const [rows, cols] = rowsCols(x);
    const dx = e.empty(x.shape);
    e.k.softmaxBwd({ y: y.handle, dy: g.handle, dx: dx.handle, rows, cols });
    return [dx];
  },
};

export interface DropoutAttrs {
  p: number;
  seed: number;
  offset: number;
}

export const dropout: OpDef<DropoutAttrs> = {
  shape([x]) {
    requireF32('dropout', [x]);
    return [{ shape: [...x.shape], dtype: 'f32' }];
  },
  forward(e, [x], [out], { p, seed, offset }) {
    e.k.dropout({ x: x.handle, out: out.handle, n: x.size, p, seed, offset });
    return [];
  },
  backward(e, [g], [x], _out, { p, seed, offset }) {
    if (!g) return [null];
    const dx = e.empty(x.shape);
    e.k.dropout({ x: g.handle, out: dx.handle, n: x.size, p, seed, offset });
    return [dx];
  },
};
