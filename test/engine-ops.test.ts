// The shared op suite, run over every backend: each case of engine-cases.ts is checked
// (1) on the ref backend in f64 against central finite differences (the gradient check),
// (2) on every other backend (ref f32, cpu with all threads) against that f64 oracle, forward
// values and gradients, (3) on cpu with 1 and N threads, bit for bit, for the large cases.
// Every case also checks that all tensors it created were freed by its scope.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backendAvailable } from '../src/backend/index.js';
import { createEngine, type Engine, type Tensor } from '../src/tensor/index.js';
import { CASES, differentiable, makeData, rng, type OpCase } from './engine-cases.js';

interface Result {
  outs: Float64Array[];
  grads: (Float64Array | null)[];
}

const seedOf = (c: OpCase, i: number): number => {
  let h = 2166136261;
  for (const ch of c.name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h ^ (i * 0x9e3779b9)) >>> 0;
};

function inputs(e: Engine, c: OpCase, data: (Float64Array | Int32Array)[], withGrad: boolean): Tensor[] {
  return c.inputs.map((s, i) => e.tensor(data[i], s.shape, { requiresGrad: withGrad && differentiable(s) }));
}

/** loss = Σ_j Σ out_j * w_j with fixed pseudo-random weights, so every output element matters. */
function weightedLoss(e: Engine, outs: Tensor[]): Tensor {
  let loss: Tensor | null = null;
  outs.forEach((o, j) => {
    const r = rng(1000 + j);
    const w = e.tensor(Float64Array.from({ length: o.size }, () => r() * 2 - 1), o.shape);
    const term = e.sum(e.reshape(e.mul(o, w), [-1]));
    loss = loss ? e.add(loss, term) : term;
  });
  return loss!;
}

/**
 * Runs a case forward and backward. With `viaOps` the differentiable inputs first pass through
 * an op (x + 0), so the rules' paths for intermediate tensors run, not only those for leaves.
 */
function run(e: Engine, c: OpCase, viaOps = false): Result {
  const data = c.inputs.map((s, i) => makeData(s, seedOf(c, i)));
  const before = e.memory().liveTensors;
  e.seed(1234); // dropout draws the same mask in every run
  const res = e.scope(() => {
    const xs = inputs(e, c, data, true);
    const out = c.run(e, viaOps ? xs.map((x) => (x.requiresGrad ? e.addScalar(x, 0) : x)) : xs);
    const outs = Array.isArray(out) ? out : [out];
    const vals = outs.map((o) => o.toF64());
    weightedLoss(e, outs).backward();
    return { outs: vals, grads: xs.map((x) => (x.grad ? x.grad.toF64() : null)) };
  });
  assert.equal(e.memory().liveTensors, before, `${c.name}: the scope left tensors alive`);
  return res;
}

function lossAt(e: Engine, c: OpCase, data: (Float64Array | Int32Array)[]): number {
  e.seed(1234);
  return e.noGrad(() =>
    e.scope(() => {
      const out = c.run(e, inputs(e, c, data, false));
      return weightedLoss(e, Array.isArray(out) ? out : [out]).item();
    }),
  );
}

function assertClose(actual: Float64Array, expected: Float64Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * scale)) assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tol * scale})`);
  }
}

/** Central finite differences in f64 at a few positions of each differentiable input. */
function gradCheck(e: Engine, c: OpCase, res: Result): void {
  const data = c.inputs.map((s, i) => makeData(s, seedOf(c, i)));
  const h = 1e-6;
  c.inputs.forEach((s, i) => {
    if (!differentiable(s)) return;
    const g = res.grads[i];
    assert.ok(g, `${c.name}: input ${i} got no gradient`);
    const r = rng(seedOf(c, 99 + i));
    const picks = new Set<number>();
    for (let n = 0; n < Math.min(8, g.length); n++) picks.add(Math.floor(r() * g.length));
    for (const at of picks) {
      const x = data[i] as Float64Array;
      const orig = x[at];
      x[at] = orig + h;
      const up = lossAt(e, c, data);
      x[at] = orig - h;
      const down = lossAt(e, c, data);
      x[at] = orig;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - g[at]);
      assert.ok(err <= 1e-5 * Math.max(1, Math.abs(numeric)), `${c.name}: d loss / d input${i}[${at}] analytic ${g[at]} vs numeric ${numeric}`);
    }
  });
}

/** Backends the suite runs besides the ref oracle; each is skipped with its reason when absent. */
const THREADED_BACKENDS = ['cpu', 'native'] as const;

let oracle: Engine;
const others: { label: string; engine: Engine; one?: Engine }[] = [];
const skipped: string[] = [];

before(async () => {
  oracle = await createEngine({ backend: 'ref', precision: 'f64' });
  others.push({ label: 'ref f32', engine: await createEngine({ backend: 'ref' }) });
  for (const name of THREADED_BACKENDS) {
    const avail = await backendAvailable(name);
    if (!avail.ok) {
      // cpu must work wherever it is built; only a missing build is a reason to skip it.
      if (name === 'cpu' && !/npm run build/.test(avail.reason)) throw new Error(avail.reason);
      skipped.push(`${name}: ${avail.reason}`);
      continue;
    }
    others.push({ label: name, engine: await createEngine({ backend: name, threads: 2 }), one: await createEngine({ backend: name, threads: 1 }) });
  }
});

after(() => {
  oracle.dispose();
  for (const o of others) {
    o.engine.dispose();
    o.one?.dispose();
  }
});

describe('engine ops over every backend', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const ref = run(oracle, c);
      if (!c.noGradCheck) gradCheck(oracle, c, ref);
      const runs = [{ label: 'ref f64 via ops', engine: oracle, viaOps: true }];
      for (const o of others) runs.push({ ...o, viaOps: false }, { ...o, label: `${o.label} via ops`, viaOps: true });
      for (const { label, engine, viaOps } of runs) {
        const got = run(engine, c, viaOps);
        const tol = c.tol ?? 1e-4;
        got.outs.forEach((o, j) => assertClose(o, ref.outs[j], tol, `${c.name} on ${label}: output ${j}`));
        got.grads.forEach((g, j) => {
          if (ref.grads[j]) assertClose(g!, ref.grads[j]!, tol, `${c.name} on ${label}: gradient of input ${j}`);
        });
      }
    });
    if (c.threaded) {
      test(`${c.name}: 1 and 2 threads give identical bits`, () => {
        for (const { label, engine, one } of others) {
          if (!one) continue;
          const a = run(one, c);
          const b = run(engine, c);
          a.outs.forEach((o, j) => assert.deepEqual(b.outs[j], o, `${label} output ${j}`));
          a.grads.forEach((g, j) => assert.deepEqual(b.grads[j], g, `${label} gradient ${j}`));
        }
      });
    }
  }
  test('backends not available here', (t) => {
    if (skipped.length) t.skip(skipped.join('; '));
  });
});
