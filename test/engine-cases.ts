// The shared op suite's cases: every op with its inputs (shapes chosen to be odd: 1, 3, 17,
// 129 ... and broadcasting edge cases) and a function applying it. engine-ops.test.ts runs
// each case on every backend against the ref oracle and checks gradients by finite
// differences in f64. Dimension names: B batch, T time, H heads, Hkv kv heads, D head dim,
// C channels, V vocab.

import type { Engine } from '../src/tensor/engine.js';
import type { Tensor } from '../src/tensor/tensor.js';

/** How an input's values are drawn. */
export type Kind =
  | 'normal' // standard-normal-ish f32, differentiated
  | 'positive' // 0.5..1.5 (divisors), differentiated
  | 'const' // f32, not differentiated
  | { ids: number } // i32 in [0, ids)
  | { targets: number; ignore: number }; // i32 in [0, targets), some equal to ignore

export interface InputSpec {
  shape: number[];
  kind: Kind;
}

export interface OpCase {
  name: string;
  inputs: InputSpec[];
  run(e: Engine, xs: Tensor[]): Tensor | Tensor[];
  /** Skip the finite-difference check (ops that are not differentiable in their inputs). */
  noGradCheck?: boolean;
  /** Looser cpu-vs-ref tolerance (long reductions in f32). */
  tol?: number;
  /** Large enough to be split across threads: also checked 1 vs N threads, bit for bit. */
  threaded?: boolean;
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic host data for an input. */
export function makeData(spec: InputSpec, seed: number): Float64Array | Int32Array {
  const r = rng(seed);
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const k = spec.kind;
  if (typeof k === 'object' && 'ids' in k) return Int32Array.from({ length: n }, () => Math.floor(r() * k.ids));
  if (typeof k === 'object') return Int32Array.from({ length: n }, () => (r() < 0.2 ? k.ignore : Math.floor(r() * k.targets)));
  if (k === 'positive') return Float64Array.from({ length: n }, () => 0.5 + r());
  return Float64Array.from({ length: n }, () => (r() + r() + r() - 1.5) * 1.4);
}

export const differentiable = (s: InputSpec): boolean => s.kind === 'normal' || s.kind === 'positive';

const N = (...shape: number[]): InputSpec => ({ shape, kind: 'normal' });
const P = (...shape: number[]): InputSpec => ({ shape, kind: 'positive' });
const K = (...shape: number[]): InputSpec => ({ shape, kind: 'const' });

function matmulCases(): OpCase[] {
  const out: OpCase[] = [];
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const a = transA ? [5, 3] : [3, 5];
    const b = transB ? [4, 5] : [5, 4];
    out.push({ name: `matmul 2d tA=${transA} tB=${transB}`, inputs: [N(...a), N(...b)], run: (e, [x, y]) => e.matmul(x, y, { transA, transB }) });
    out.push({ name: `matmul shared-b tA=${transA} tB=${transB}`, inputs: [N(2, ...a), N(...b)], run: (e, [x, y]) => e.matmul(x, y, { transA, transB }) });
    out.push({ name: `matmul batched tA=${transA} tB=${transB}`, inputs: [N(2, ...a), N(2, ...b)], run: (e, [x, y]) => e.matmul(x, y, { transA, transB }) });
    out.push({ name: `matmul shared-a tA=${transA} tB=${transB}`, inputs: [N(...a), N(3, ...b)], run: (e, [x, y]) => e.matmul(x, y, { transA, transB }) });
  }
  out.push({ name: 'matmul 1x1x1', inputs: [N(1, 1), N(1, 1)], run: (e, [x, y]) => e.matmul(x, y) });
  out.push({ name: 'matmul odd 17x129 * 129x33', inputs: [N(17, 129), N(129, 33)], run: (e, [x, y]) => e.matmul(x, y), noGradCheck: true });
  out.push({ name: 'matmul batched (2,3,17,9) * (9,5) transB', inputs: [N(2, 3, 17, 9), N(5, 9)], run: (e, [x, y]) => e.matmul(x, y, { transB: true }) });
  out.push({
    name: 'matmul threaded (3,64,129) * (129,67)', inputs: [N(3, 64, 129), N(129, 67)], run: (e, [x, y]) => e.matmul(x, y),
    noGradCheck: true, threaded: true, tol: 3e-4,
  });
  return out;
}

function elementwiseCases(): OpCase[] {
  const out: OpCase[] = [];
  const shapes: [string, number[], number[]][] = [
    ['same', [3, 17], [3, 17]],
    ['bias', [2, 3, 17], [17]],
    ['scalar', [2, 5], [1]],
    ['scalar-first', [1], [3, 4]],
    ['rank-0', [3, 4], []],
    ['general', [2, 1, 4], [3, 1]],
    ['a-broadcast', [4], [2, 3, 4]],
    ['middle', [2, 3, 5], [2, 1, 5]],
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    for (const [label, a, b] of shapes) {
      out.push({ name: `${op} ${label}`, inputs: [N(...a), op === 'div' ? P(...b) : N(...b)], run: (e, [x, y]) => e[op](x, y) });
    }
  }
  out.push({
    name: 'add threaded bias (64,1031)+(1031)', inputs: [N(64, 1031), N(1031)], run: (e, [x, y]) => e.add(x, y),
    noGradCheck: true, threaded: true,
  });
  out.push({ name: 'addScalar', inputs: [N(3, 7)], run: (e, [x]) => e.addScalar(x, 1.5) });
  out.push({ name: 'mulScalar', inputs: [N(3, 7)], run: (e, [x]) => e.mulScalar(x, -0.75) });
  out.push({ name: 'affine chain', inputs: [N(2, 9)], run: (e, [x]) => e.addScalar(e.mulScalar(x, 2), -1) });
  return out;
}

function reduceCases(): OpCase[] {
  return [
    { name: 'sum last', inputs: [N(3, 17)], run: (e, [x]) => e.sum(x) },
    { name: 'mean last', inputs: [N(2, 3, 129)], run: (e, [x]) => e.mean(x) },
    { name: 'max last', inputs: [N(5, 17)], run: (e, [x]) => e.max(x) },
    { name: 'sum of a vector to a scalar', inputs: [N(7)], run: (e, [x]) => e.sum(x) },
    { name: 'reshape + slice', inputs: [N(2, 3, 10)], run: (e, [x]) => e.slice(e.reshape(x, [6, 10]), 2, 7) },
    { name: 'reshape -1', inputs: [N(4, 6)], run: (e, [x]) => e.mulScalar(e.reshape(x, [2, -1, 3]), 3) },
  ];
}

function nnCases(): OpCase[] {
  return [
    { name: 'embedding', inputs: [N(7, 5), { shape: [2, 3], kind: { ids: 7 } }], run: (e, [t, ids]) => e.embedding(t, ids) },
    { name: 'embedding repeated ids', inputs: [N(3, 17), { shape: [9], kind: { ids: 3 } }], run: (e, [t, ids]) => e.embedding(t, ids) },
    { name: 'layerNorm', inputs: [N(2, 3, 17), N(17), N(17)], run: (e, [x, w, b]) => e.layerNorm(x, w, b) },
    { name: 'layerNorm C=1 rows=1', inputs: [N(1, 3), N(3), N(3)], run: (e, [x, w, b]) => e.layerNorm(x, w, b) },
    { name: 'rmsNorm', inputs: [N(3, 129), N(129)], run: (e, [x, w]) => e.rmsNorm(x, w) },
    { name: 'addLayerNorm', inputs: [N(2, 5, 17), N(2, 5, 17), N(17), N(17)], run: (e, [x, r, w, b]) => e.addLayerNorm(x, r, w, b) },
    { name: 'addRmsNorm', inputs: [N(3, 33), N(3, 33), N(33)], run: (e, [x, r, w]) => e.addRmsNorm(x, r, w) },
    { name: 'addLayerNorm norm only', inputs: [N(4, 9), N(4, 9), N(9), N(9)], run: (e, [x, r, w, b]) => e.addLayerNorm(x, r, w, b)[1] },
    { name: 'gelu', inputs: [N(3, 17)], run: (e, [x]) => e.gelu(x) },
    { name: 'silu', inputs: [N(129)], run: (e, [x]) => e.silu(x) },
    { name: 'biasGelu', inputs: [N(2, 3, 17), N(17)], run: (e, [x, b]) => e.biasGelu(x, b) },
    { name: 'softmax', inputs: [N(3, 17)], run: (e, [x]) => e.softmax(x) },
    { name: 'softmax one column', inputs: [N(4, 1)], run: (e, [x]) => e.softmax(x) },
    { name: 'dropout', inputs: [N(3, 129)], run: (e, [x]) => e.dropout(x, 0.3) },
    { name: 'cast bf16 round trip', inputs: [N(3, 17)], run: (e, [x]) => e.cast(e.cast(x, 'bf16'), 'f32'), noGradCheck: true },
    { name: 'cast f16 round trip', inputs: [N(3, 17)], run: (e, [x]) => e.cast(e.cast(x, 'f16'), 'f32'), noGradCheck: true },
    {
      name: 'layerNorm threaded (257,129)', inputs: [N(257, 129), N(129), N(129)], run: (e, [x, w, b]) => e.layerNorm(x, w, b),
      noGradCheck: true, threaded: true,
    },
  ];
}

function attentionCases(): OpCase[] {
  return [
    { name: 'rope', inputs: [N(2, 3, 2, 8)], run: (e, [x]) => e.rope(x) },
    { name: 'rope pos0=5 D=2', inputs: [N(1, 3, 3, 2)], run: (e, [x]) => e.rope(x, { pos0: 5 }) },
    { name: 'attention causal MHA', inputs: [N(2, 5, 2, 4), N(2, 5, 2, 4), N(2, 5, 2, 4)], run: (e, [q, k, v]) => e.attention(q, k, v) },
    { name: 'attention causal GQA', inputs: [N(1, 6, 4, 8), N(1, 6, 2, 8), N(1, 6, 2, 8)], run: (e, [q, k, v]) => e.attention(q, k, v) },
    { name: 'attention full', inputs: [N(1, 5, 3, 3), N(1, 7, 1, 3), N(1, 7, 1, 3)], run: (e, [q, k, v]) => e.attention(q, k, v, { causal: false, pastLen: 2 }) },
    { name: 'attention kv cache', inputs: [N(1, 2, 4, 8), N(1, 9, 2, 8), N(1, 9, 2, 8)], run: (e, [q, k, v]) => e.attention(q, k, v, { pastLen: 4 }) },
    { name: 'attention T=1', inputs: [N(2, 1, 2, 5), N(2, 1, 2, 5), N(2, 1, 2, 5)], run: (e, [q, k, v]) => e.attention(q, k, v) },
    {
      name: 'attention threaded (2,65,4,16)', inputs: [N(2, 65, 4, 16), N(2, 65, 2, 16), N(2, 65, 2, 16)], run: (e, [q, k, v]) => e.attention(q, k, v),
      noGradCheck: true, threaded: true,
    },
    {
      name: 'crossEntropy', inputs: [N(2, 5, 11), { shape: [2, 5], kind: { targets: 11, ignore: -100 } }],
      run: (e, [l, t]) => e.crossEntropy(l, t),
    },
    {
      name: 'crossEntropy ignore=0', inputs: [N(7, 3), { shape: [7], kind: { targets: 3, ignore: 0 } }],
      run: (e, [l, t]) => e.crossEntropy(l, t, 0),
    },
    {
      name: 'crossEntropy threaded (64,1031)', inputs: [N(64, 1031), { shape: [64], kind: { targets: 1031, ignore: -100 } }],
      run: (e, [l, t]) => e.crossEntropy(l, t), noGradCheck: true, threaded: true,
    },
  ];
}

/** Sizes that are not multiples of the SIMD width or of any tile, for cpu-vs-ref checks. */
function oddSizeCases(): OpCase[] {
  const out: OpCase[] = [];
  for (const s of [1, 3, 17, 129]) {
    const cpuOnly = { noGradCheck: true };
    out.push({ name: `odd ${s}: matmul (${s},${s + 1})·(${s + 1},${s + 2})`, inputs: [N(s, s + 1), N(s + 1, s + 2)], run: (e, [a, b]) => e.matmul(a, b), ...cpuOnly });
    out.push({ name: `odd ${s}: matmul tA tB batched`, inputs: [N(2, s + 2, s), N(2, 5, s + 2)], run: (e, [a, b]) => e.matmul(a, b, { transA: true, transB: true }), ...cpuOnly });
    out.push({ name: `odd ${s}: bias add + sum`, inputs: [N(3, s), N(s)], run: (e, [a, b]) => e.sum(e.add(a, b)), ...cpuOnly });
    out.push({ name: `odd ${s}: layerNorm`, inputs: [N(5, s), N(s), N(s)], run: (e, [x, w, b]) => e.layerNorm(x, w, b), ...cpuOnly });
    out.push({ name: `odd ${s}: rmsNorm`, inputs: [N(2, s), N(s)], run: (e, [x, w]) => e.rmsNorm(x, w), ...cpuOnly });
    out.push({ name: `odd ${s}: gelu silu max`, inputs: [N(2, s)], run: (e, [x]) => [e.gelu(x), e.silu(x), e.max(x)], ...cpuOnly });
    out.push({ name: `odd ${s}: softmax`, inputs: [N(3, s)], run: (e, [x]) => e.softmax(x), ...cpuOnly });
    out.push({
      name: `odd ${s}: crossEntropy`, inputs: [N(s, s + 2), { shape: [s], kind: { targets: s + 2, ignore: -100 } }],
      run: (e, [l, t]) => e.crossEntropy(l, t), ...cpuOnly,
    });
    const t = Math.min(s, 17);
    const d = s === 129 ? 33 : s + 1;
    out.push({
      name: `odd ${s}: attention T=${t} D=${d}`, inputs: [N(1, t, 2, d), N(1, t, 1, d), N(1, t, 1, d)],
      run: (e, [q, k, v]) => e.attention(q, k, v), ...cpuOnly,
    });
    out.push({ name: `odd ${s}: rope D=${2 * s}`, inputs: [N(1, 3, 1, 2 * s)], run: (e, [x]) => e.rope(x, { pos0: s }), ...cpuOnly });
  }
  return out;
}

/** Ops combined as a model combines them: reused tensors, qkv slices, residuals. */
function compositeCases(): OpCase[] {
  return [
    { name: 'fixed (no-grad) weights: layerNorm', inputs: [N(2, 5), K(5), K(5)], run: (e, [x, w, b]) => e.layerNorm(x, w, b) },
    { name: 'fixed (no-grad) weights: addRmsNorm', inputs: [N(2, 5), N(2, 5), K(5)], run: (e, [x, r, w]) => e.addRmsNorm(x, r, w) },
    { name: 'fixed (no-grad) weights: matmul + bias', inputs: [N(2, 3, 4), K(4, 5), K(5)], run: (e, [x, w, b]) => e.add(e.matmul(x, w), b) },
    { name: 'composite: x used twice', inputs: [N(3, 5)], run: (e, [x]) => e.add(e.mul(x, x), e.gelu(x)) },
    {
      name: 'composite: qkv split into attention', inputs: [N(2, 5, 8), N(8, 24), N(24)],
      run: (e, [x, w, b]) => {
        const qkv = e.add(e.matmul(x, w), b); // (B, T, 3C)
        const part = (i: number) => e.reshape(e.slice(qkv, i * 8, (i + 1) * 8), [2, 5, 2, 4]);
        return e.reshape(e.attention(part(0), part(1), part(2)), [2, 5, 8]);
      },
    },
    {
      name: 'composite: residual block', inputs: [N(2, 3, 6), N(6, 6), N(6), N(6)],
      run: (e, [x, w, g, b]) => {
        const [s, h] = e.addLayerNorm(x, e.matmul(x, w), g, b);
        const [s2, h2] = e.addRmsNorm(s, e.silu(h), g);
        return e.add(e.matmul(h2, w, { transB: true }), s2);
      },
    },
    {
      name: 'composite: tied embedding and cross-entropy', inputs: [N(7, 4), { shape: [2, 3], kind: { ids: 7 } }, { shape: [2, 3], kind: { targets: 7, ignore: -100 } }],
      run: (e, [wte, ids, tg]) => e.crossEntropy(e.matmul(e.gelu(e.embedding(wte, ids)), wte, { transB: true }), tg),
    },
  ];
}

/** Every case of the shared op suite. */
export const CASES: OpCase[] = [...matmulCases(), ...elementwiseCases(), ...reduceCases(), ...nnCases(), ...attentionCases(), ...oddSizeCases(), ...compositeCases()];
