// The subgroup matmul of the webgpu backend (src/backend/webgpu/wgsl/matmul-subgroup.ts)
// against the ref backend's matmul kernel in f64: odd shapes (1, 7, 33, 65, 130, ... none a
// multiple of the 64x64x16 tiles), all four transpose combinations, batch strides (shared
// operands, one C summed over the batch) and accumulate; both the subgroup path (run as
// 'required', where a workgroup whose lanes fail the layout check writes NaN, so a pass
// proves the shuffles ran) and its shared-memory fallback. Then how the variant is chosen
// (ANVIL_WEBGPU_MATMUL, the `subgroups` feature, subgroup sizes). Adapter-dependent tests
// skip, with the reason, where no adapter (or no `subgroups` feature) exists.
// Dimensions: M rows of C, N columns of C, K the shared dimension.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRefBackend } from '../src/backend/ref/index.js';
import type { Backend, KernelArgs } from '../src/backend/types.js';
import { createWebGpuBackend, isWebGpuAvailable, type WebGpuBackend } from '../src/backend/webgpu/index.js';
import { WebGpuError } from '../src/backend/webgpu/errors.js';
import { matmulTuning, tuningFor, webgpuKernels, type GpuBuf, type Recorder } from '../src/backend/webgpu/kernels.js';
import { UsageError } from '../src/util/errors.js';
import { rng } from './engine-cases.js';

type MatmulSpec = Omit<KernelArgs<unknown>['matmul'], 'a' | 'b' | 'c' | 'precision'>;

/** Elements an operand needs: the last batch item's offset plus one item. */
const extent = (batch: number, stride: number, item: number): number => (batch - 1) * stride + item;

/** Runs one matmul on `backend` with inputs from `seed`; returns C. */
function runMatmul<S>(backend: Backend<S>, s: MatmulSpec, seed: number): ArrayLike<number> {
  const r = rng(seed);
  const data = (n: number): Float64Array => Float64Array.from({ length: n }, () => r() * 2 - 1);
  const nA = extent(s.batch, s.strideA, s.m * s.k);
  const nB = extent(s.batch, s.strideB, s.k * s.n);
  const nC = extent(s.batch, s.strideC, s.m * s.n);
  const [a, b, c] = [backend.alloc('f32', nA), backend.alloc('f32', nB), backend.alloc('f32', nC)];
  backend.write(a, 'f32', data(nA));
  backend.write(b, 'f32', data(nB));
  backend.write(c, 'f32', data(nC)); // what accumulate adds to
  backend.kernels.matmul({ ...s, a, b, c });
  const out = backend.read(c, 'f32', nC);
  for (const x of [a, b, c]) backend.free(x);
  return out;
}

const oracle = createRefBackend({ f64: true });

/** C of the webgpu backend equals the f64 ref within f32 rounding of K products of |x| <= 1. */
function check(gpu: WebGpuBackend, s: MatmulSpec, seed: number): void {
  const want = runMatmul(oracle, s, seed);
  const got = runMatmul(gpu, s, seed);
  const kTotal = s.strideC === 0 ? s.k * s.batch : s.k;
  const tol = 2e-6 * (kTotal + 1);
  const label = `m=${s.m} n=${s.n} k=${s.k} batch=${s.batch} transA=${s.transA} transB=${s.transB} strides ${s.strideA}/${s.strideB}/${s.strideC} accumulate=${s.accumulate}`;
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) assert.fail(`${label}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

/** (M, N, K): none a multiple of the tiles but 64 x 64 x 16 itself; 1-wide and 1-deep edges. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [7, 33, 65], [65, 7, 33], [33, 130, 7], [130, 65, 129], [64, 64, 16], [1, 130, 65], [129, 1, 17], [66, 67, 1],
];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

let reason = '';
/** Subgroup path required (NaN where the lane layout check fails) and the shared-memory fallback. */
let required: WebGpuBackend;
let shared: WebGpuBackend;

before(async () => {
  const avail = await isWebGpuAvailable();
  if (!avail.ok) {
    reason = avail.reason;
    return;
  }
  required = await createWebGpuBackend({ matmul: 'tiled' });
  if (!required.adapter.features.includes('subgroups')) {
    reason = `the adapter (${required.adapter.description}) has no 'subgroups' feature`;
    required.dispose();
    return;
  }
  required.dispose();
  required = await createWebGpuBackend({ matmul: 'subgroup', subgroupPath: 'required' });
  shared = await createWebGpuBackend({ matmul: 'subgroup', subgroupPath: 'shared' });
});

after(() => {
  required?.dispose();
  shared?.dispose();
});

describe('subgroup matmul against the f64 ref backend', () => {
  for (const path of ['required', 'shared'] as const) {
    test(`odd shapes, all four transposes (${path === 'required' ? 'subgroup shuffles' : 'shared-memory fallback'})`, (t) => {
      if (reason) return t.skip(reason);
      const gpu = path === 'required' ? required : shared;
      assert.equal(gpu.tuning.matmul, 'subgroup');
      let seed = 1;
      for (const [m, n, k] of SHAPES) {
        for (const [transA, transB] of TRANSPOSES) {
          check(gpu, { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0, strideC: 0, accumulate: false }, seed++);
        }
      }
    });
  }

  test('batch strides: per-item operands, a shared operand, padded strides, accumulate', (t) => {
    if (reason) return t.skip(reason);
    for (const [transA, transB] of TRANSPOSES) {
      const [m, n, k] = [33, 65, 17];
      // Every item its own A, B, C.
      check(required, { batch: 3, m, n, k, transA, transB, strideA: m * k, strideB: k * n, strideC: m * n, accumulate: false }, 11);
      // One B for every item (a weight), C added to.
      check(required, { batch: 4, m, n, k, transA, transB, strideA: m * k, strideB: 0, strideC: m * n, accumulate: true }, 12);
      // Items further apart than their size (a slice of a larger buffer), one A for all.
      check(required, { batch: 2, m: 7, n: 9, k: 130, transA, transB, strideA: 0, strideB: 130 * 9 + 5, strideC: 7 * 9 + 3, accumulate: true }, 13);
    }
  });

  // The engine sums into a shared C only with accumulate (it zero-fills C first when needed).
  test('a batch summed into one C (a shared weight\'s gradient)', (t) => {
    if (reason) return t.skip(reason);
    for (const [transA, transB] of TRANSPOSES) {
      const [m, n, k] = [17, 33, 7];
      check(required, { batch: 5, m, n, k, transA, transB, strideA: m * k, strideB: k * n, strideC: 0, accumulate: true }, 21);
      check(required, { batch: 3, m, n, k, transA, transB, strideA: 0, strideB: k * n, strideC: 0, accumulate: true }, 22);
    }
  });
});

describe('choosing the matmul variant', () => {
  const adapter = { vendor: 'acme', description: 'test adapter', features: ['subgroups'], subgroupMinSize: 32, subgroupMaxSize: 32 };

  test('tiled is the default; subgroup only when asked for and the adapter has the feature', () => {
    assert.equal(matmulTuning(adapter).matmul, 'tiled');
    assert.equal(matmulTuning(adapter, 'tiled').matmul, 'tiled');
    assert.deepEqual(matmulTuning(adapter, 'subgroup'), { matmul: 'subgroup', subgroupPath: 'auto' });
    assert.equal(matmulTuning({ ...adapter, subgroupMinSize: 4, subgroupMaxSize: 128 }, 'subgroup').matmul, 'subgroup');
    assert.equal(matmulTuning({ ...adapter, subgroupMinSize: null, subgroupMaxSize: null }, 'subgroup').matmul, 'subgroup');
    assert.throws(() => matmulTuning({ ...adapter, features: [] }, 'subgroup'),
      (err: Error) => err instanceof WebGpuError && /'subgroups' feature.*acme test adapter.*ANVIL_WEBGPU_MATMUL=tiled/.test(err.message));
  });

  test('subgroup sizes the kernel does not handle fall back to tiled and say why', () => {
    for (const [lo, hi] of [[2, 32], [32, 256], [24, 24]]) {
      const t = matmulTuning({ ...adapter, subgroupMinSize: lo, subgroupMaxSize: hi }, 'subgroup');
      assert.equal(t.matmul, 'tiled');
      assert.match(t.matmulFallback ?? '', new RegExp(`subgroup sizes ${lo}-${hi} are outside`));
    }
  });

  test('the kernel table dispatches the chosen kernel, with the path as parameter 9', () => {
    const seen: { shader: string; params: number[] }[] = [];
    const fake = (matmul: 'tiled' | 'subgroup'): Recorder => ({
      tuning: tuningFor(false, 'auto', { matmul, subgroupPath: 'required' }),
      dispatch: (shader, _bufs, params) => void seen.push({ shader, params }),
      temp: () => { throw new Error('no temporaries expected'); },
      release: () => undefined,
      ropeTables: () => { throw new Error('no rope expected'); },
    });
    const buf = (size: number): GpuBuf => ({ slot: 0, bytes: size * 4, dtype: 'f32', size });
    const args = { a: buf(6), b: buf(12), c: buf(8), batch: 1, m: 2, n: 4, k: 3, transA: false, transB: true, strideA: 0, strideB: 0, strideC: 0, accumulate: true };
    webgpuKernels(fake('subgroup')).matmul(args);
    webgpuKernels(fake('tiled')).matmul(args);
    assert.deepEqual(seen, [
      { shader: 'matmulSubgroup', params: [2, 4, 3, 0, 1, 0, 0, 0, 1, 1] },
      { shader: 'matmul', params: [2, 4, 3, 0, 1, 0, 0, 0, 1] },
    ]);
  });

  test('an unknown ANVIL_WEBGPU_MATMUL is a usage error at backend creation', async () => {
    const saved = process.env.ANVIL_WEBGPU_MATMUL;
    process.env.ANVIL_WEBGPU_MATMUL = 'tensorcore';
    try {
      await assert.rejects(createWebGpuBackend(), (err: Error) =>
        err instanceof UsageError && err.message.includes("ANVIL_WEBGPU_MATMUL must be 'tiled' or 'subgroup', not 'tensorcore'"));
    } finally {
      if (saved === undefined) delete process.env.ANVIL_WEBGPU_MATMUL;
      else process.env.ANVIL_WEBGPU_MATMUL = saved;
    }
  });

  test('ANVIL_WEBGPU_MATMUL selects the variant, reported in the tuning; subgroup without the feature is a usage error', async (t) => {
    const avail = await isWebGpuAvailable();
    if (!avail.ok) return t.skip(avail.reason);
    const saved = process.env.ANVIL_WEBGPU_MATMUL;
    try {
      process.env.ANVIL_WEBGPU_MATMUL = 'tiled';
      const tiled = await createWebGpuBackend();
      const hasSubgroups = tiled.adapter.features.includes('subgroups');
      assert.equal(tiled.tuning.matmul, 'tiled');
      tiled.dispose();
      process.env.ANVIL_WEBGPU_MATMUL = 'subgroup';
      if (hasSubgroups) {
        const sg = await createWebGpuBackend();
        assert.equal(sg.tuning.matmul, 'subgroup');
        assert.equal(sg.tuning.subgroupPath, 'auto');
        sg.dispose();
      } else {
        await assert.rejects(createWebGpuBackend(), (err: Error) => err instanceof UsageError && err.message.includes("'subgroups' feature"));
      }
    } finally {
      if (saved === undefined) delete process.env.ANVIL_WEBGPU_MATMUL;
      else process.env.ANVIL_WEBGPU_MATMUL = saved;
    }
  });
});
