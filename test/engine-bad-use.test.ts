// Bad use fails loudly, on every backend: shape mismatches name the op and both shapes,
// tensors used after their scope ended throw, a NaN loss is reported with its step, and
// out-of-range ids are refused instead of reading outside the table.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendAvailable } from '../src/backend/index.js';
import { createEngine, NonFiniteError, ShapeError, TensorDisposedError, type Engine } from '../src/tensor/index.js';
import { initTiny, tinyLoss, type TinyConfig } from './engine-model.js';

async function withEngine(backend: 'ref' | 'cpu', t: { skip(msg: string): void }, fn: (e: Engine) => void): Promise<void> {
  const avail = await backendAvailable(backend);
  if (!avail.ok) return t.skip(avail.reason);
  const e = await createEngine({ backend });
  try {
    fn(e);
  } finally {
    e.dispose();
  }
}

for (const backend of ['ref', 'cpu'] as const) {
  test(`${backend}: shape mismatches name the op and both shapes`, (t) =>
    withEngine(backend, t, (e) => {
      const a = e.zeros([2, 3]);
      const b = e.zeros([4, 5]);
      assert.throws(() => e.matmul(a, b), (err: Error) => err instanceof ShapeError && /matmul/.test(err.message) && /\[2, 3\]/.test(err.message) && /\[4, 5\]/.test(err.message));
      assert.throws(() => e.add(a, e.zeros([4])), (err: Error) => err instanceof ShapeError && /add/.test(err.message) && /\[2, 3\]/.test(err.message) && /\[4\]/.test(err.message));
      assert.throws(() => e.layerNorm(a, e.zeros([2]), e.zeros([3])), (err: Error) => err instanceof ShapeError && /layerNorm/.test(err.message) && /\[2\]/.test(err.message));
      assert.throws(() => e.attention(e.zeros([1, 2, 3, 4]), e.zeros([1, 2, 2, 4]), e.zeros([1, 2, 2, 4])), /attention: query heads 3 are not a multiple of kv heads 2/);
      assert.throws(() => e.crossEntropy(e.zeros([2, 5]), e.tensor(new Int32Array(3), [3])), /crossEntropy.*\[2, 5\].*\[3\]/);
      assert.throws(() => e.reshape(a, [4, 2]), /reshape: cannot reshape 6 elements to \[4, 2\]/);
      assert.throws(() => e.tensor([1, 2, 3], [2, 2]), ShapeError);
    }));

  test(`${backend}: a tensor used after its scope ended throws`, (t) =>
    withEngine(backend, t, (e) => {
      const inner = e.scope(() => e.full([2, 2], 3)); // owned by no scope: persists
      inner.dispose();
      assert.throws(() => e.mulScalar(inner, 2), TensorDisposedError);
      let dead = inner;
      const kept = e.scope(() => {
        dead = e.full([2, 2], 3);
        return e.mulScalar(dead, 2);
      });
      assert.deepEqual([...kept.toArray()], [6, 6, 6, 6]);
      assert.throws(() => dead.toArray(), TensorDisposedError);
      assert.throws(() => e.add(dead, kept), (err: Error) => err instanceof TensorDisposedError && /\[2, 2\]/.test(err.message));
      kept.dispose();
      assert.throws(() => kept.item(), TensorDisposedError);
      assert.equal(e.memory().liveTensors, 0);
    }));

  test(`${backend}: a NaN loss is reported with its step`, (t) =>
    withEngine(backend, t, (e) => {
      const cfg: TinyConfig = { vocab: 7, context: 4, width: 8, heads: 2, layers: 1, dropout: 0 };
      const params = initTiny(e, cfg);
      const ids = e.tensor(new Int32Array([1, 2, 3, 4]), [1, 4]);
      const targets = e.tensor(new Int32Array([2, 3, 4, 5]), [1, 4]);
      const pos = e.tensor(new Int32Array([0, 1, 2, 3]), [4]);
      const step = (i: number): number => e.scope(() => {
        if (i === 3) e.write(params.get('wte')!, new Float32Array(7 * 8).fill(NaN)); // the corruption
        const l = tinyLoss(e, cfg, params, ids, targets, pos);
        return l.item();
      });
      assert.throws(() => {
        for (let i = 0; i < 6; i++) e.assertFinite(step(i), i);
      }, (err: Error) => err instanceof NonFiniteError && /loss is NaN at step 3/.test(err.message));
    }));

  test(`${backend}: out-of-range ids and targets are refused`, (t) =>
    withEngine(backend, t, (e) => {
      const table = e.zeros([4, 3]);
      assert.throws(() => e.embedding(table, e.tensor(new Int32Array([0, 4]), [2])), /id 4.*out of range \[0, 4\)/);
      assert.throws(() => e.crossEntropy(e.zeros([2, 4]), e.tensor(new Int32Array([1, -1]), [2])), /out of range \[0, 4\)/);
      assert.throws(() => e.embedding(table, e.zeros([2])), /ids must be i32/);
    }));

  test(`${backend}: backward needs a one-element loss that depends on a parameter`, (t) =>
    withEngine(backend, t, (e) => {
      const p = e.param(1, [3], 'p');
      assert.throws(() => e.mulScalar(p, 2).backward(), /backward: loss must have one element, got shape \[3\]/);
      assert.throws(() => e.sum(e.zeros([3])).backward(), /does not depend on any tensor that requires grad/);
      assert.throws(() => e.scope(() => Promise.resolve(1)), /must be synchronous/);
      assert.throws(() => e.dropout(p, 1), /dropout: p must be in \[0, 1\)/);
    }));
}
