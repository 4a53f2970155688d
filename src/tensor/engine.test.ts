// The engine's own rules on every backend: scopes free what they do not return, keep()
// persists, noGrad records nothing, gradients accumulate, AdamW and clipping follow their
// formulas, copyInto writes a KV cache, the dropout RNG state restores the same mask.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendAvailable } from '../backend/index.js';
import { createEngine, type Engine } from './index.js';

async function each(fn: (e: Engine) => void): Promise<void> {
  for (const backend of ['ref', 'cpu'] as const) {
    if (!(await backendAvailable(backend)).ok) continue;
    const e = await createEngine({ backend });
    try {
      fn(e);
    } finally {
      e.dispose();
    }
  }
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `element ${i}: ${a[i]} vs ${b[i]}`);
};

test('scopes free everything except what they return; returned tensors move to the parent', () =>
  each((e) => {
    const x = e.full([3], 2);
    const out = e.scope(() => {
      const inner = e.scope(() => {
        const a = e.mulScalar(x, 3);
        const b = e.addScalar(a, 1);
        return { kept: [b], n: 1 };
      });
      assert.equal(e.memory().liveTensors, 2); // x and b
      return inner.kept[0];
    });
    assert.deepEqual([...out.toArray()], [7, 7, 7]);
    assert.equal(e.memory().liveTensors, 2);
    const held = e.scope(() => e.keep(e.zeros([2])));
    out.dispose();
    x.dispose();
    assert.equal(e.memory().liveTensors, 1);
    held.dispose();
    assert.equal(e.memory().bytesInUse, 0);
  }));

test('a scope that throws frees what it created', () =>
  each((e) => {
    assert.throws(() => e.scope(() => {
      e.zeros([8]);
      throw new Error('boom');
    }), /boom/);
    assert.equal(e.memory().liveTensors, 0);
  }));

test('noGrad records no graph; gradients accumulate over backward calls; zeroGrad resets', () =>
  each((e) => {
    const p = e.param([1, 2, 3], [3], 'p');
    const y = e.noGrad(() => e.mulScalar(p, 2));
    assert.equal(y.requiresGrad, false);
    y.dispose();
    for (let i = 0; i < 2; i++) e.scope(() => e.sum(e.mul(p, p)).backward()); // d/dp sum p^2 = 2p
    close(p.grad!.toArray(), [4, 8, 12]);
    e.zeroGrad([p]);
    close(p.grad!.toArray(), [0, 0, 0]);
    assert.equal(e.memory().liveTensors, 2); // p and its grad
    p.dispose();
    assert.equal(e.memory().liveTensors, 0);
  }));

test('adamw follows the decoupled, bias-corrected formula; clipGradNorm scales to maxNorm', () =>
  each((e) => {
    const p = e.param([1, -2], [2], 'p');
    e.scope(() => e.sum(e.mulScalar(p, 3)).backward()); // grad = [3, 3], norm = sqrt(18)
    const norm = e.clipGradNorm([p], 1);
    close([norm], [Math.sqrt(18)]);
    const g = 3 / (Math.sqrt(18) + 1e-6);
    close(p.grad!.toArray(), [g, g], 1e-5);
    const st = e.adamwState([p]);
    e.adamw([p], st, { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 });
    // step 1: m/(1-b1) = g, v/(1-b2) = g^2, so the update is lr * (1 + wd * p) per element
    const want = [1, -2].map((x) => x - 0.1 * (g / (Math.abs(g) + 1e-8) + 0.5 * x));
    close(p.toArray(), want, 1e-5);
    assert.equal(st.step, 1);
  }));

test('copyInto writes new rows into a KV cache; attention with pastLen reads them', () =>
  each((e) => {
    const cache = e.zeros([1, 4, 1, 2]); // (B, Tmax, Hkv, D)
    e.copyInto(cache, e.tensor([1, 2, 3, 4], [1, 2, 1, 2]), 0);
    e.copyInto(cache, e.tensor([5, 6], [1, 1, 1, 2]), 2);
    close(cache.toArray(), [1, 2, 3, 4, 5, 6, 0, 0]);
    assert.throws(() => e.copyInto(cache, e.zeros([1, 3, 1, 2]), 2), /copyInto/);
    const q = e.tensor([0, 0], [1, 1, 1, 2]);
    const out = e.attention(q, cache, cache, { pastLen: 2 }); // equal scores: mean of rows 0..2
    close(out.toArray(), [3, 4], 1e-5);
  }));

test('the dropout RNG state restores the same mask', () =>
  each((e) => {
    const x = e.full([64], 1);
    e.seed(9);
    const state = e.rngState;
    const a = e.dropout(x, 0.5).toArray();
    const b = e.dropout(x, 0.5).toArray();
    e.rngState = state;
    const c = e.dropout(x, 0.5).toArray();
    assert.deepEqual(c, a);
    assert.notDeepEqual(b, a);
    assert.ok(a.every((v) => v === 0 || v === 2));
  }));

test('reshape is a view: the storage lives while any view does', () =>
  each((e) => {
    const x = e.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = e.reshape(x, [3, 2]);
    x.dispose();
    assert.deepEqual([...v.toArray()], [1, 2, 3, 4, 5, 6]);
    v.dispose();
    assert.equal(e.memory().bytesInUse, 0);
  }));

test('casts: bf16 and f16 round to nearest even', () =>
  each((e) => {
    const x = e.tensor([1 + 2 ** -8, 1 + 3 * 2 ** -8, 65520, 2 ** -24, 1 / 3], [5]);
    close(e.cast(e.cast(x, 'bf16'), 'f32').toArray(), [1, 1 + 4 * 2 ** -8, 65536, 2 ** -24, 0.333984375]);
    close(e.cast(e.cast(x, 'f16'), 'f32').toArray().slice(0, 2), [1 + 2 ** -8, 1 + 3 * 2 ** -8]);
    assert.equal(e.cast(e.cast(x, 'f16'), 'f32').toArray()[2], Infinity);
    close(e.cast(e.cast(x, 'f16'), 'f32').toArray().slice(3), [2 ** -24, 0.333251953125]);
    const ids = e.tensor(new Uint16Array([1, 65535]), [2]);
    assert.deepEqual([...e.cast(ids, 'i32').toInt32()], [1, 65535]);
  }));

test('profile reports the kernels a step ran and restores the table', () =>
  each((e) => {
    const a = e.param([1, 2, 3, 4], [2, 2], 'a');
    const { result, kernels } = e.profile(() => e.scope(() => {
      const l = e.sum(e.reshape(e.matmul(a, a), [-1]));
      l.backward();
      return l.item();
    }));
    assert.equal(result, 1 + 2 * 3 + 2 + 2 * 4 + 3 + 4 * 3 + 3 * 2 + 4 * 4);
    assert.ok(kernels.matmul.calls >= 3, 'forward and two gradient matmuls');
    assert.ok(kernels.reduceLast.calls === 1 && kernels.matmul.ms >= 0);
    const again = e.profile(() => undefined);
    assert.deepEqual(again.kernels, {});
  }));
