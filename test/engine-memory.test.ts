// Memory stays flat: a two-layer Transformer trained for 1,000 steps (AdamW, clipping,
// dropout) on each available backend. After the first steps the backend's high-water mark,
// its bytes in use and the number of live tensors must not change, and the loss must fall.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendAvailable } from '../src/backend/index.js';
import { createEngine } from '../src/tensor/index.js';
import { initTiny, tinyLoss, type TinyConfig } from './engine-model.js';

const CFG: TinyConfig = { vocab: 17, context: 12, width: 16, heads: 2, layers: 2, dropout: 0.1 };
const B = 3;
const STEPS = 1000;

for (const backend of ['cpu', 'ref'] as const) {
  test(`2-layer Transformer, ${STEPS} steps on ${backend}: memory and live tensors stay flat`, async (t) => {
    const avail = await backendAvailable(backend);
    if (!avail.ok) return t.skip(avail.reason);
    const e = await createEngine({ backend });
    try {
      e.seed(5);
      const params = initTiny(e, CFG);
      const list = [...params.values()];
      const opt = e.adamwState(list);
      const T = CFG.context;
      // A fixed cyclic sequence the model can learn: next token = (token * 5 + 3) mod V.
      const seq = (i: number): number => {
        let v = i % CFG.vocab;
        for (let s = 0; s < 3; s++) v = (v * 5 + 3) % CFG.vocab;
        return v;
      };
      const idsData = Int32Array.from({ length: B * T }, (_, i) => seq(i * 7 + Math.floor(i / T)));
      const tgtData = Int32Array.from(idsData, (v) => (v * 5 + 3) % CFG.vocab);
      const ids = e.tensor(idsData, [B, T]);
      const targets = e.tensor(tgtData, [B, T]);
      const positions = e.tensor(Int32Array.from({ length: T }, (_, i) => i), [T]);
      let first = 0;
      let last = 0;
      let mark: ReturnType<typeof e.memory> | null = null;
      for (let step = 0; step < STEPS; step++) {
        const loss = e.scope(() => {
          const l = tinyLoss(e, CFG, params, ids, targets, positions);
          l.backward();
          return l.item();
        });
        e.assertFinite(loss, step);
        e.clipGradNorm(list, 1);
        e.adamw(list, opt, { lr: 3e-3, weightDecay: (p) => (p.shape.length >= 2 ? 0.01 : 0) });
        e.zeroGrad(list);
        if (step === 0) first = loss;
        last = loss;
        if (step === 9) mark = e.memory();
      }
      const end = e.memory();
      assert.ok(mark);
      assert.equal(end.liveTensors, mark.liveTensors, 'live tensors grew');
      assert.equal(end.bytesInUse, mark.bytesInUse, 'bytes in use grew');
      assert.equal(end.highWaterBytes, mark.highWaterBytes, 'high-water mark grew');
      assert.ok(last < first * 0.5, `loss did not fall: ${first} -> ${last}`);
    } finally {
      e.dispose();
    }
  });
}
