// Training on the webgpu backend: a small llama-family Transformer (src/model: RoPE, RMSNorm,
// SwiGLU, grouped-query attention) trained for 50 AdamW steps in fp32 with gradient clipping
// reproduces the cpu backend's losses within 1e-3 relative, and the buffer pool stays flat
// after the first step; a shorter run does the same with the subgroup matmul. Skipped, with
// the reason, where no adapter (or, for the subgroup run, no `subgroups` feature) exists.
// Dimensions: B batch, T time.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendAvailable } from '../src/backend/index.js';
import { createWebGpuBackend, isWebGpuAvailable, type WebGpuBackend } from '../src/backend/webgpu/index.js';
import type { TransformerConfig } from '../src/model/config.js';
import { Transformer, decays } from '../src/model/transformer.js';
import { createEngine, Engine } from '../src/tensor/index.js';

const CFG: TransformerConfig = {
  family: 'llama', vocabSize: 61, context: 16, layers: 2, heads: 4, kvHeads: 2, width: 32, hidden: 96,
  normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false,
};
const B = 3;
const T = 16;
const STEPS = 50;

interface Pool {
  buffers: number;
  poolBytes: number;
}

/** Losses of STEPS steps on a learnable sequence; `pool` sees the backend's pool after each. */
function train(e: Engine, pool?: (step: number) => void, steps = STEPS): number[] {
  const m = Transformer.init(e, CFG, 5);
  const params = m.parameters;
  const names = [...m.params.keys()];
  const opt = e.adamwState(params);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + Math.floor(i / T)) % CFG.vocabSize);
  const targets = Int32Array.from(ids, (v) => (v * 5 + 3) % CFG.vocabSize);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = e.scope(() => {
      const l = m.loss(ids, targets, B, T);
      l.backward();
      return l.item();
    });
    e.assertFinite(loss, step);
    e.clipGradNorm(params, 1);
    e.adamw(params, opt, { lr: 1e-2, weightDecay: (p) => (decays(names[params.indexOf(p)]!, p.shape) ? 0.01 : 0) });
    e.zeroGrad(params);
    losses.push(loss);
    pool?.(step);
  }
  return losses;
}

test('50 llama training steps on webgpu match the cpu backend within 1e-3 relative; the pool is flat', async (t) => {
  const avail = await isWebGpuAvailable();
  if (!avail.ok) return t.skip(avail.reason);
  const cpuOk = (await backendAvailable('cpu')).ok;
  const ref = await createEngine({ backend: cpuOk ? 'cpu' : 'ref', threads: 2 });
  const backend: WebGpuBackend = await createWebGpuBackend();
  const gpu = new Engine(backend);
  try {
    const want = train(ref);
    let first: Pool | null = null;
    let last: Pool | null = null;
    const got = train(gpu, (step) => {
      const { buffers, poolBytes } = backend.memory();
      if (step === 0) first = { buffers, poolBytes };
      last = { buffers, poolBytes };
    });
    for (let i = 0; i < STEPS; i++) {
      const rel = Math.abs(got[i]! - want[i]!) / Math.abs(want[i]!);
      assert.ok(rel <= 1e-3, `step ${i}: webgpu ${got[i]} vs ${ref.backendName} ${want[i]} (relative ${rel})`);
    }
    assert.ok(got[STEPS - 1]! < got[0]! * 0.7, `loss did not fall: ${got[0]} -> ${got[STEPS - 1]}`);
    assert.ok(first && last);
    assert.deepEqual(last, first, 'the buffer pool grew after the first step');
  } finally {
    ref.dispose();
    gpu.dispose();
  }
});

test('10 llama training steps with the subgroup matmul match the cpu backend within 1e-3 relative', async (t) => {
  const avail = await isWebGpuAvailable();
  if (!avail.ok) return t.skip(avail.reason);
  const backend = await createWebGpuBackend({ matmul: 'tiled' });
  if (!backend.adapter.features.includes('subgroups')) {
    backend.dispose();
    return t.skip(`the adapter (${backend.adapter.description}) has no 'subgroups' feature`);
  }
  backend.dispose();
  const cpuOk = (await backendAvailable('cpu')).ok;
  const ref = await createEngine({ backend: cpuOk ? 'cpu' : 'ref', threads: 2 });
  // 'required': a workgroup whose subgroups fail the lane layout check writes NaN, so the
  // losses below come from the shuffle path.
  const gpu = new Engine(await createWebGpuBackend({ matmul: 'subgroup', subgroupPath: 'required' }));
  try {
    const steps = 10;
    const want = train(ref, undefined, steps);
    const got = train(gpu, undefined, steps);
    for (let i = 0; i < steps; i++) {
      const rel = Math.abs(got[i]! - want[i]!) / Math.abs(want[i]!);
      assert.ok(rel <= 1e-3, `step ${i}: webgpu (subgroup matmul) ${got[i]} vs ${ref.backendName} ${want[i]} (relative ${rel})`);
    }
  } finally {
    ref.dispose();
    gpu.dispose();
  }
});
