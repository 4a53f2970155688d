// The shared op cases (engine-cases.ts) on the webgpu backend against the ref backend in
// f64 (whose gradients the shared suite checks by finite differences): forward values and
// gradients on odd shapes, plus webgpu-specific behaviour (16-bit storage, the limit error,
// the pool). Skipped, with the reason, where no adapter exists; on a machine without a GPU
// install chromium + libvulkan1 and set VK_ICD_FILENAMES (see src/backend/webgpu/README.md).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { createWebGpuBackend, isWebGpuAvailable, WebGpuLimitError } from '../src/backend/webgpu/index.js';
import { createEngine, Engine, type Tensor } from '../src/tensor/index.js';
import { CASES, differentiable, makeData, rng, type OpCase } from './engine-cases.js';

const seedOf = (c: OpCase, i: number): number => {
  let h = 2166136261;
  for (const ch of c.name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h ^ (i * 0x9e3779b9)) >>> 0;
};

interface Result {
  outs: Float64Array[];
  grads: (Float64Array | null)[];
}

/** Forward and backward of a case under loss = Σ out * fixed weights; checks nothing leaks. */
function run(e: Engine, c: OpCase, viaOps: boolean): Result {
  const data = c.inputs.map((s, i) => makeData(s, seedOf(c, i)));
  const live = e.memory().liveTensors;
  e.seed(1234);
  const res = e.scope(() => {
    const xs = c.inputs.map((s, i) => e.tensor(data[i], s.shape, { requiresGrad: differentiable(s) }));
    const out = c.run(e, viaOps ? xs.map((x) => (x.requiresGrad ? e.addScalar(x, 0) : x)) : xs);
    const outs = Array.isArray(out) ? out : [out];
    let loss: Tensor | null = null;
    outs.forEach((o, j) => {
      const r = rng(1000 + j);
      const w = e.tensor(Float64Array.from({ length: o.size }, () => r() * 2 - 1), o.shape);
      const term = e.sum(e.reshape(e.mul(o, w), [-1]));
      loss = loss ? e.add(loss, term) : term;
    });
    loss!.backward();
    return { outs: outs.map((o) => o.toF64()), grads: xs.map((x) => (x.grad ? x.grad.toF64() : null)) };
  });
  assert.equal(e.memory().liveTensors, live, `${c.name}: the scope left tensors alive`);
  return res;
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

let reason = '';
let oracle: Engine;
let gpu: Engine;
let backend: WebGpuBackend;
/** The other kernel variant than the adapter's own (wide workgroups on a software adapter). */
let other: Engine;

before(async () => {
  const avail = await isWebGpuAvailable();
  if (!avail.ok) {
    reason = avail.reason;
    return;
  }
  oracle = await createEngine({ backend: 'ref', precision: 'f64' });
  backend = await createWebGpuBackend();
  gpu = new Engine(backend);
  other = new Engine(await createWebGpuBackend({ kernels: backend.adapter.hardware ? 'software' : 'gpu' }));
});

after(() => {
  oracle?.dispose();
  gpu?.dispose();
  other?.dispose();
});

describe('webgpu backend against the f64 oracle', () => {
  for (const c of CASES) {
    test(c.name, (t) => {
      if (reason) return t.skip(reason);
      const ref = run(oracle, c, false);
      for (const viaOps of [false, true]) {
        const got = run(gpu, c, viaOps);
        const tol = Math.max(c.tol ?? 1e-4, 1e-4);
        const label = `${c.name} on webgpu${viaOps ? ' via ops' : ''}`;
        got.outs.forEach((o, j) => assertClose(o, ref.outs[j], tol, `${label}: output ${j}`));
        got.grads.forEach((g, j) => {
          if (ref.grads[j]) assertClose(g!, ref.grads[j]!, tol, `${label}: gradient of input ${j}`);
        });
      }
    });
  }
});

// The kernels whose workgroup size depends on the adapter class, run with the other class's.
const WG_DEPENDENT = /attention|Norm|softmax|crossEntropy|sum|mean|max|composite|threaded/;

describe('webgpu, the other adapter class\'s kernel variants, against the f64 oracle', () => {
  for (const c of CASES.filter((k) => WG_DEPENDENT.test(k.name))) {
    test(c.name, (t) => {
      if (reason) return t.skip(reason);
      const ref = run(oracle, c, false);
      const got = run(other, c, false);
      const tol = Math.max(c.tol ?? 1e-4, 1e-4);
      got.outs.forEach((o, j) => assertClose(o, ref.outs[j], tol, `${c.name}: output ${j}`));
      got.grads.forEach((g, j) => {
        if (ref.grads[j]) assertClose(g!, ref.grads[j]!, tol, `${c.name}: gradient of input ${j}`);
      });
    });
  }
});

// The matmul cases and the composite ones (matmuls inside attention, residual blocks, tied
// embeddings), forward and backward, with the subgroup matmul chosen the way a user chooses it.
describe('webgpu with ANVIL_WEBGPU_MATMUL=subgroup, against the f64 oracle', () => {
  let sg: Engine | null = null;
  let sgReason = '';
  before(async () => {
    if (reason) return;
    if (!backend.adapter.features.includes('subgroups')) {
      sgReason = `the adapter (${backend.adapter.description}) has no 'subgroups' feature`;
      return;
    }
    const saved = process.env.ANVIL_WEBGPU_MATMUL;
    process.env.ANVIL_WEBGPU_MATMUL = 'subgroup';
    try {
      sg = await createEngine({ backend: 'webgpu' });
    } finally {
      if (saved === undefined) delete process.env.ANVIL_WEBGPU_MATMUL;
      else process.env.ANVIL_WEBGPU_MATMUL = saved;
    }
  });
  after(() => sg?.dispose());

  for (const c of CASES.filter((k) => /matmul|composite/.test(k.name))) {
    test(c.name, (t) => {
      if (reason || sgReason) return t.skip(reason || sgReason);
      assert.equal((sg!.backend as unknown as WebGpuBackend).tuning.matmul, 'subgroup');
      const ref = run(oracle, c, false);
      const got = run(sg!, c, false);
      const tol = Math.max(c.tol ?? 1e-4, 1e-4);
      got.outs.forEach((o, j) => assertClose(o, ref.outs[j], tol, `${c.name}: output ${j}`));
      got.grads.forEach((g, j) => {
        if (ref.grads[j]) assertClose(g!, ref.grads[j]!, tol, `${c.name}: gradient of input ${j}`);
      });
    });
  }
});

describe('webgpu specifics', () => {
  test('16-bit storage round trips through write, cast and read', (t) => {
    if (reason) return t.skip(reason);
    const x = gpu.tensor(new Float32Array([1, 1 + 2 ** -9, 65536, 2 ** -24, 1 / 3]), [5]);
    assert.deepEqual([...gpu.cast(gpu.cast(x, 'bf16'), 'f32').toArray()], [1, 1, 65536, 2 ** -24, 0.333984375]);
    const h = gpu.cast(x, 'f16');
    assert.deepEqual([...h.toArray()], [1, 1 + 2 ** -9, Infinity, 2 ** -24, 0.333251953125]);
    const ids = gpu.tensor(new Uint16Array([1, 65535, 7]), [3]);
    assert.deepEqual([...gpu.cast(ids, 'i32').toInt32()], [1, 65535, 7]);
    // A KV-cache write into odd offsets of 16-bit storage leaves the neighbours untouched.
    const cache = gpu.cast(gpu.full([1, 5, 1], 9), 'bf16');
    gpu.copyInto(cache, gpu.cast(gpu.tensor(new Float32Array([1, 2]), [1, 2, 1]), 'bf16'), 1);
    assert.deepEqual([...cache.toArray()], [9, 1, 2, 9, 9]);
    for (const v of [x, h, ids, cache]) v.dispose();
  });

  test('a tensor larger than the adapter allows fails with the sizes named', (t) => {
    if (reason) return t.skip(reason);
    const limit = Math.min(backend.limits.maxBufferSize, backend.limits.maxStorageBufferBindingSize);
    const n = Math.floor(limit / 4) + 1024;
    assert.throws(() => gpu.zeros([n]), (err: Error) =>
      err instanceof WebGpuLimitError && err.message.includes(String(n * 4)) && err.message.includes(String(limit)));
    // The backend still works afterwards.
    assert.deepEqual([...gpu.addScalar(gpu.full([3], 1), 1).toArray()], [2, 2, 2]);
  });

  test('asynchronous reads see every command recorded before them', async (t) => {
    if (reason) return t.skip(reason);
    const x = gpu.full([1000], 2);
    const y = gpu.mulScalar(x, 3);
    const got = await backend.readAsync(y.handle as never, 'f32', 1000);
    assert.equal(got.length, 1000);
    assert.ok([...got].every((v) => v === 6));
    x.dispose();
    y.dispose();
  });
});

test('without an adapter, creating the backend says how to get one', () => {
  const mod = new URL('../src/backend/webgpu/index.js', import.meta.url).href;
  const code = `import(${JSON.stringify(mod)}).then((m) => m.createWebGpuBackend()).then(
    () => console.log('created'), (err) => console.log(err.name + ': ' + err.message));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
  });
  assert.match(r.stdout, /^UsageError: webgpu: no GPU adapter found; .*VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/m);
});
