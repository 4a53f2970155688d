// Broadcasting on every backend, by property: random pairs of shapes that broadcast (rank up
// to 5, dims 1..4, size-1 axes anywhere) give the same values and gradients (sum-to-shape) as
// the ref backend in f64. This exercises the cpu glue's choice between same-shape, scalar,
// suffix (bias) and strided kernels and its merging of contiguous axes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { backendAvailable } from '../src/backend/index.js';
import { createEngine, type Engine } from '../src/tensor/index.js';
import { rng } from './engine-cases.js';

let oracle: Engine;
const engines: Engine[] = [];

before(async () => {
  oracle = await createEngine({ backend: 'ref', precision: 'f64' });
  for (const name of ['cpu', 'native'] as const) {
    if ((await backendAvailable(name)).ok) engines.push(await createEngine({ backend: name, threads: 2 }));
  }
});

after(() => {
  oracle.dispose();
  for (const e of engines) e.dispose();
});

/** A shape and a second shape that broadcasts against it (axes set to 1 or dropped in front). */
const shapePair = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 5 })
  .chain((full) =>
    fc.tuple(
      fc.constant(full),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.integer({ min: 0, max: full.length }),
      fc.boolean(),
    ),
  )
  .map(([full, ones, drop, swap]) => {
    const other = full.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
    return swap ? [other, full] : [full, other];
  });

function run(e: Engine, op: 'add' | 'sub' | 'mul' | 'div', a: number[], b: number[]) {
  return e.scope(() => {
    const r = rng(a.length * 31 + b.length);
    const data = (s: number[]) => Float64Array.from({ length: s.reduce((x, y) => x * y, 1) }, () => 0.5 + r());
    const x = e.tensor(data(a), a, { requiresGrad: true });
    const y = e.tensor(data(b), b, { requiresGrad: true });
    const out = e[op](x, y);
    const w = e.tensor(data(out.shape as number[]), out.shape);
    e.sum(e.reshape(e.mul(out, w), [-1])).backward();
    return { out: out.toF64(), gx: x.grad!.toF64(), gy: y.grad!.toF64() };
  });
}

const close = (got: Float64Array, want: Float64Array, what: string): void => {
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
};

test('broadcasting binary ops and their gradients match the f64 reference on every backend', (t) => {
  if (engines.length === 0) return t.skip('no backend besides ref is available here');
  fc.assert(
    fc.property(shapePair, fc.constantFrom('add', 'sub', 'mul', 'div' as const), ([a, b], op) => {
      const want = run(oracle, op, a, b);
      for (const e of engines) {
        const got = run(e, op, a, b);
        const at = `${op} ${JSON.stringify(a)} ${JSON.stringify(b)} on ${e.backendName}`;
        close(got.out, want.out, `${at} out`);
        close(got.gx, want.gx, `${at} grad a`);
        close(got.gy, want.gy, `${at} grad b`);
      }
    }),
    { numRuns: 150, seed: 42 },
  );
});
