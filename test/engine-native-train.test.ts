// Training on the native backend: a two-layer GPT-2-style Transformer (test/engine-model.ts)
// trained for 50 steps in fp32 reproduces the cpu backend's losses within 1e-4 relative, and
// over 300 steps on native the backend's memory and the live tensors stay flat; training with
// bf16 matmul products (f32 master weights) reaches the fp32 run's held-out loss within 0.02.
// Dimensions: B batch, T time (the model's context).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendAvailable } from '../src/backend/index.js';
import { createEngine } from '../src/tensor/index.js';
import { initTiny, tinyLoss, type TinyConfig } from './engine-model.js';

const CFG: TinyConfig = { vocab: 37, context: 16, width: 32, heads: 4, layers: 2, dropout: 0.1 };
const B = 4;

/** Losses of `steps` AdamW steps on a learnable cyclic sequence; `onStep` sees the engine. */
async function train(backend: 'cpu' | 'native', steps: number, onStep?: (step: number, mem: { liveTensors: number; bytesInUse: number; highWaterBytes: number }) => void, matmul: 'fp32' | 'bf16' = 'fp32', heldOut?: { loss: number }): Promise<number[]> {
  const e = await createEngine({ backend, threads: 2, matmul });
  try {
    e.seed(11);
    const params = initTiny(e, CFG, 3);
    const list = [...params.values()];
    const opt = e.adamwState(list);
    const T = CFG.context;
    const idsData = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + Math.floor(i / T)) % CFG.vocab);
    const ids = e.tensor(idsData, [B, T]);
    const targets = e.tensor(Int32Array.from(idsData, (v) => (v * 5 + 3) % CFG.vocab), [B, T]);
    const positions = e.tensor(Int32Array.from({ length: T }, (_, i) => i), [T]);
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      const loss = e.scope(() => {
        const l = tinyLoss(e, CFG, params, ids, targets, positions);
        l.backward();
        return l.item();
      });
      e.assertFinite(loss, step);
      e.clipGradNorm(list, 1);
      e.adamw(list, opt, { lr: 3e-3, weightDecay: (p) => (p.shape.length >= 2 ? 0.01 : 0) });
      e.zeroGrad(list);
      losses.push(loss);
      onStep?.(step, e.memory());
    }
    if (heldOut) {
      // The same rule on sequences the model never trained on (a different phase).
      const evalIds = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + Math.floor(i / T) + 3) % CFG.vocab);
      const x = e.tensor(evalIds, [B, T]);
      const y = e.tensor(Int32Array.from(evalIds, (v) => (v * 5 + 3) % CFG.vocab), [B, T]);
      heldOut.loss = e.noGrad(() => e.scope(() => tinyLoss(e, { ...CFG, dropout: 0 }, params, x, y, positions).item()));
    }
    return losses;
  } finally {
    e.dispose();
  }
}

test('50 fp32 training steps on native reproduce the cpu backend within 1e-4 relative', async (t) => {
  const native = await backendAvailable('native');
  if (!native.ok) return t.skip(native.reason);
  const cpu = await backendAvailable('cpu');
  if (!cpu.ok) return t.skip(`cpu backend: ${cpu.reason}`);
  const a = await train('cpu', 50);
  const b = await train('native', 50);
  for (let i = 0; i < a.length; i++) {
    const rel = Math.abs(b[i]! - a[i]!) / Math.abs(a[i]!);
    assert.ok(rel <= 1e-4, `step ${i}: native ${b[i]} vs cpu ${a[i]} (relative ${rel})`);
  }
  assert.ok(b[49]! < b[0]! * 0.8, `loss did not fall: ${b[0]} -> ${b[49]}`);
});

test('300 steps on native: memory and live tensors stay flat', async (t) => {
  const native = await backendAvailable('native');
  if (!native.ok) return t.skip(native.reason);
  type Mem = { liveTensors: number; bytesInUse: number; highWaterBytes: number };
  let mark: Mem | null = null;
  let end: Mem | null = null;
  await train('native', 300, (step, mem) => {
    if (step === 9) mark = { ...mem };
    end = { ...mem };
  });
  assert.ok(mark && end);
  assert.deepEqual(end, mark);
});

test('bf16 matmul training on native reaches the fp32 held-out loss within 0.02', async (t) => {
  const native = await backendAvailable('native');
  if (!native.ok) return t.skip(native.reason);
  const fp32 = { loss: NaN };
  const bf16 = { loss: NaN };
  const a = await train('native', 200, undefined, 'fp32', fp32);
  const b = await train('native', 200, undefined, 'bf16', bf16);
  assert.ok(a[199]! < a[0]! * 0.5, `fp32 loss did not fall: ${a[0]} -> ${a[199]}`);
  assert.notDeepEqual(a, b, 'bf16 products changed nothing: the precision did not reach the kernels');
  assert.ok(Math.abs(bf16.loss - fp32.loss) <= 0.02, `held-out loss bf16 ${bf16.loss} vs fp32 ${fp32.loss}`);
});

test('bf16 matmul is refused, with the reason, on a backend without it', async () => {
  await assert.rejects(createEngine({ backend: 'cpu', matmul: 'bf16' }), /bf16 matmul is not offered by the cpu backend/);
});
