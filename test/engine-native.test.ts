// Tests of the native backend's raw kernels: every kernel of the table against the plain
// TypeScript reference loops (src/backend/ref/kernels.ts) on odd shapes (1, 3, 17, 129...),
// 1 and 2 threads bit for bit, bf16 matmul, buffer ownership, and each instruction-set path
// forced through ANVIL_NATIVE_ISA (avx2, scalar) in a child process. Where the addon is not
// built the tests skip with the reason, unless ANVIL_REQUIRE_NATIVE=1 (CI) makes that a failure.
//
// Dims: B batch, T time, Tk key rows, H heads, Hkv kv heads, D head dim, V vocab, C channels.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRefBackend } from '../src/backend/ref/index.js';
import { loadNative, MATMUL_FLAGS } from '../src/backend/native/addon.js';
import { createNativeBackend, isNativeAvailable } from '../src/backend/native/index.js';
import type { Backend, DType, KernelName } from '../src/backend/types.js';

const avail = isNativeAvailable();
if (!avail.ok && process.env.ANVIL_REQUIRE_NATIVE === '1') throw new Error(`native backend required: ${avail.reason}`);
const skip = avail.ok ? false : `native backend unavailable: ${avail.reason}`;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
const randn = (n: number, seed: number, scale = 1): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};

interface BufSpec {
  dtype: DType;
  data: ArrayLike<number>;
}
/** One kernel call: plain arguments plus named buffers (placed into the args by name). */
interface Case {
  name: string;
  kernel: KernelName;
  args: Record<string, unknown>;
  bufs: Record<string, BufSpec>;
  tol?: number;
}

const f32 = (data: ArrayLike<number>): BufSpec => ({ dtype: 'f32', data });
const i32 = (data: ArrayLike<number>): BufSpec => ({ dtype: 'i32', data });
const zeros = (n: number): BufSpec => f32(new Float32Array(n));

/** Runs a case on a backend; returns every buffer read back as f64 (outputs and inputs). */
function runCase<S>(be: Backend<S>, c: Case): Record<string, Float64Array> {
  const store: Record<string, S> = {};
  for (const [name, b] of Object.entries(c.bufs)) {
    const s = be.alloc(b.dtype, b.data.length);
    be.write(s, b.dtype, b.data);
    store[name] = s;
  }
  (be.kernels[c.kernel] as (a: unknown) => void)({ ...c.args, ...store });
  const out: Record<string, Float64Array> = {};
  for (const [name, b] of Object.entries(c.bufs)) {
    out[name] = Float64Array.from(be.read(store[name]!, b.dtype, b.data.length));
    be.free(store[name]!);
  }
  return out;
}

function assertClose(got: Float64Array, want: Float64Array, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 1;
  for (const v of want) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i] || (Number.isNaN(want[i]) && Number.isNaN(got[i]))) continue;
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= tol * scale)) assert.fail(`${what}[${i}] = ${got[i]}, expected ${want[i]} (tolerance ${tol * scale})`);
  }
}

// ---- the cases ---------------------------------------------------------------------------

function matmulCase(m: number, n: number, k: number, transA: boolean, transB: boolean, batch = 1, shared: 'a' | 'b' | 'c' | '' = '', accumulate = false): Case {
  const strideA = shared === 'a' ? 0 : m * k, strideB = shared === 'b' ? 0 : k * n, strideC = shared === 'c' ? 0 : m * n;
  const nA = shared === 'a' ? m * k : batch * m * k, nB = shared === 'b' ? k * n : batch * k * n;
  const nC = shared === 'c' ? m * n : batch * m * n;
  return {
    name: `matmul ${m}x${n}x${k} tA=${transA} tB=${transB} batch=${batch} shared=${shared || '-'} acc=${accumulate}`,
    kernel: 'matmul',
    args: { batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate },
    bufs: { a: f32(randn(nA, m * 7 + k)), b: f32(randn(nB, n * 11 + k)), c: f32(accumulate ? randn(nC, 5) : new Float32Array(nC)) },
  };
}

function attentionCases(B: number, T: number, Tk: number, H: number, Hkv: number, D: number, pastLen: number, causal: boolean): Case[] {
  const nq = B * T * H * D, nk = B * Tk * Hkv * D;
  const args = { b: B, t: T, tk: Tk, h: H, hkv: Hkv, d: D, scale: 1 / Math.sqrt(D), causal, pastLen };
  const q = randn(nq, 1, 1.5), k = randn(nk, 2, 1.5), v = randn(nk, 3);
  // The backward reads the forward's out and lse; take them from the reference.
  const ref = createRefBackend();
  const fwd = runCase(ref, { name: '', kernel: 'attention', args, bufs: { q: f32(q), k: f32(k), v: f32(v), out: zeros(nq), lse: zeros(B * H * T) } });
  ref.dispose();
  const tag = `B${B} T${T} Tk${Tk} H${H}/${Hkv} D${D} past${pastLen} causal=${causal}`;
  return [
    { name: `attention ${tag}`, kernel: 'attention', args, bufs: { q: f32(q), k: f32(k), v: f32(v), out: zeros(nq), lse: zeros(B * H * T) } },
    {
      name: `attentionBwd ${tag}`,
      kernel: 'attentionBwd',
      args,
      bufs: {
        q: f32(q), k: f32(k), v: f32(v), out: f32(fwd.out!), lse: f32(fwd.lse!), dout: f32(randn(nq, 4)),
        dq: zeros(nq), dk: f32(randn(nk, 9)), dv: f32(randn(nk, 10)),
      },
    },
  ];
}

function normCases(rows: number, c: number): Case[] {
  const x = randn(rows * c, 21, 2), r = randn(rows * c, 22), w = randn(c, 23), b = randn(c, 24), dout = randn(rows * c, 25);
  const mean = new Float32Array(rows), rstd = new Float32Array(rows), rrs = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let m = 0, ss = 0;
    for (let j = 0; j < c; j++) m += x[i * c + j]!;
    m /= c;
    let v = 0;
    for (let j = 0; j < c; j++) (v += (x[i * c + j]! - m) ** 2), (ss += x[i * c + j]! ** 2);
    mean[i] = m;
    rstd[i] = 1 / Math.sqrt(v / c + 1e-5);
    rrs[i] = 1 / Math.sqrt(ss / c + 1e-6);
  }
  const n = rows * c;
  return [
    { name: `layerNorm ${rows}x${c}`, kernel: 'layerNorm', args: { rows, c, eps: 1e-5 }, bufs: { x: f32(x), w: f32(w), b: f32(b), out: zeros(n), mean: zeros(rows), rstd: zeros(rows) } },
    { name: `layerNormBwd ${rows}x${c}`, kernel: 'layerNormBwd', args: { rows, c }, bufs: { dout: f32(dout), x: f32(x), w: f32(w), mean: f32(mean), rstd: f32(rstd), dx: zeros(n), dw: f32(randn(c, 3)), db: f32(randn(c, 4)) } },
    { name: `rmsNorm ${rows}x${c}`, kernel: 'rmsNorm', args: { rows, c, eps: 1e-6 }, bufs: { x: f32(x), w: f32(w), out: zeros(n), rstd: zeros(rows) } },
    { name: `rmsNormBwd ${rows}x${c}`, kernel: 'rmsNormBwd', args: { rows, c }, bufs: { dout: f32(dout), x: f32(x), w: f32(w), rstd: f32(rrs), dx: zeros(n), dw: f32(randn(c, 5)) } },
    { name: `addLayerNorm ${rows}x${c}`, kernel: 'addLayerNorm', args: { rows, c, eps: 1e-5 }, bufs: { x: f32(x), r: f32(r), s: zeros(n), w: f32(w), b: f32(b), out: zeros(n), mean: zeros(rows), rstd: zeros(rows) } },
    { name: `addRmsNorm ${rows}x${c}`, kernel: 'addRmsNorm', args: { rows, c, eps: 1e-6 }, bufs: { x: f32(x), r: f32(r), s: zeros(n), w: f32(w), out: zeros(n), rstd: zeros(rows) } },
  ];
}

function crossEntropyCases(rows: number, v: number): Case[] {
  const logits = randn(rows * v, 31, 3);
  const r = rng(32);
  const targets = Int32Array.from({ length: rows }, (_, i) => (i % 5 === 2 ? -100 : Math.floor(r() * v)));
  const lse = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let mx = -Infinity, z = 0;
    for (let j = 0; j < v; j++) mx = Math.max(mx, logits[i * v + j]!);
    for (let j = 0; j < v; j++) z += Math.exp(logits[i * v + j]! - mx);
    lse[i] = mx + Math.log(z);
  }
  return [
    { name: `crossEntropy ${rows}x${v}`, kernel: 'crossEntropy', args: { rows, v, ignoreIndex: -100 }, bufs: { logits: f32(logits), targets: i32(targets), loss: zeros(1), lse: zeros(rows) } },
    { name: `crossEntropyBwd ${rows}x${v}`, kernel: 'crossEntropyBwd', args: { rows, v, ignoreIndex: -100 }, bufs: { logits: f32(logits), targets: i32(targets), lse: f32(lse), dloss: f32([0.7]), dlogits: zeros(rows * v) } },
  ];
}

function elementwiseCases(): Case[] {
  const cs: Case[] = [];
  const binShapes: [number[], number[], number[]][] = [
    [[3, 17], [3, 17], [3, 17]],
    [[3, 17], [3, 17], [1, 17]],
    [[2, 3, 17], [2, 3, 17], [2, 1, 1]],
    [[3, 5, 17], [3, 1, 17], [1, 5, 1]],
    [[129], [1], [129]],
    [[1, 1], [1, 1], [1, 1]],
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as const)
    for (const [shape, aShape, bShape] of binShapes) {
      const na = aShape.reduce((x, y) => x * y, 1), nb = bShape.reduce((x, y) => x * y, 1), n = shape.reduce((x, y) => x * y, 1);
      const b = randn(nb, 42).map((x) => (op === 'div' ? x + (x >= 0 ? 0.5 : -0.5) : x));
      cs.push({ name: `binary ${op} ${shape}/${aShape}/${bShape}`, kernel: 'binary', args: { op, shape, aShape, bShape }, bufs: { a: f32(randn(na, 41)), b: f32(b), out: zeros(n) } });
    }
  cs.push({ name: 'affine 129', kernel: 'affine', args: { n: 129, mul: -1.5, add: 0.25 }, bufs: { a: f32(randn(129, 1)), out: zeros(129) } });
  for (const [xShape, outShape] of [[[3, 5, 17], [1, 5, 1]], [[129, 17], [1, 17]], [[4, 3], [4, 1]], [[2, 3], [1, 1]], [[3, 17], [3, 17]]]) {
    const n = xShape!.reduce((x, y) => x * y, 1), no = outShape!.reduce((x, y) => x * y, 1);
    cs.push({ name: `sumTo ${xShape} -> ${outShape}`, kernel: 'sumTo', args: { xShape, outShape }, bufs: { x: f32(randn(n, 3)), out: zeros(no) } });
  }
  for (const op of ['sum', 'mean', 'max'] as const)
    for (const [rows, cols] of [[3, 17], [1, 1], [2, 129]]) {
      cs.push({ name: `reduceLast ${op} ${rows}x${cols}`, kernel: 'reduceLast', args: { op, rows, cols }, bufs: { x: f32(randn(rows! * cols!, 6)), out: zeros(rows!), argmax: i32(new Int32Array(rows!)) } });
      const argmax = Int32Array.from({ length: rows! }, (_, i) => (i * 7) % cols!);
      cs.push({ name: `reduceLastBwd ${op} ${rows}x${cols}`, kernel: 'reduceLastBwd', args: { op, rows, cols }, bufs: { dout: f32(randn(rows!, 7)), dx: zeros(rows! * cols!), argmax: i32(argmax) } });
    }
  const ids = Int32Array.from([4, 0, 2, 2, 1, 4, 4, 3, 0, 1, 2, 3, 4, 0, 1, 2, 2]);
  cs.push({ name: 'embedding 17x33 V5', kernel: 'embedding', args: { n: 17, c: 33, v: 5 }, bufs: { table: f32(randn(5 * 33, 8)), ids: i32(ids), out: zeros(17 * 33) } });
  cs.push({ name: 'embeddingBwd 17x33 V5', kernel: 'embeddingBwd', args: { n: 17, c: 33, v: 5 }, bufs: { dout: f32(randn(17 * 33, 9)), ids: i32(ids), dtable: f32(randn(5 * 33, 10)) } });
  for (const op of ['gelu', 'silu'] as const)
    for (const withBias of [false, true]) {
      const x = randn(3 * 129, 11, 4);
      const bias: Record<string, BufSpec> = withBias ? { bias: f32(randn(129, 12)) } : {};
      const nb = withBias ? {} : { bias: null };
      cs.push({ name: `activation ${op} bias=${withBias}`, kernel: 'activation', args: { op, rows: 3, c: 129, ...nb }, bufs: { x: f32(x), out: zeros(3 * 129), ...bias } });
      cs.push({ name: `activationBwd ${op} bias=${withBias}`, kernel: 'activationBwd', args: { op, rows: 3, c: 129, ...nb }, bufs: { x: f32(x), dout: f32(randn(3 * 129, 13)), dx: zeros(3 * 129), ...bias } });
    }
  for (const inverse of [false, true])
    cs.push({ name: `rope inverse=${inverse}`, kernel: 'rope', args: { b: 2, t: 3, h: 3, d: 18, pos0: 5, theta: 10000, inverse }, bufs: { x: f32(randn(2 * 3 * 3 * 18, 14)), out: zeros(2 * 3 * 3 * 18) } });
  cs.push({ name: 'softmax 3x129', kernel: 'softmax', args: { rows: 3, cols: 129 }, bufs: { x: f32(randn(3 * 129, 15, 5)), out: zeros(3 * 129) } });
  cs.push({ name: 'softmaxBwd 3x17', kernel: 'softmaxBwd', args: { rows: 3, cols: 17 }, bufs: { y: f32(randn(51, 16).map(Math.abs)), dy: f32(randn(51, 17)), dx: zeros(51) } });
  cs.push({ name: 'dropout 1000', kernel: 'dropout', args: { n: 1000, p: 0.3, seed: 7, offset: 11 }, bufs: { x: f32(randn(1000, 18)), out: zeros(1000) }, tol: 1e-6 });
  cs.push({ name: 'adamw 129', kernel: 'adamw', args: { n: 129, lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 }, bufs: { p: f32(randn(129, 19)), g: f32(randn(129, 20)), m: f32(randn(129, 21, 0.1)), v: f32(randn(129, 22).map((x) => x * x)) } });
  cs.push({ name: 'sumSquares 1000', kernel: 'sumSquares', args: { n: 1000, accumulate: true }, bufs: { x: f32(randn(1000, 23)), out: f32([2.5]) } });
  cs.push({ name: 'fill f32', kernel: 'fill', args: { n: 17, value: -2.5 }, bufs: { out: zeros(17) }, tol: 0 });
  cs.push({ name: 'copy2d accumulate', kernel: 'copy2d', args: { srcOff: 2, srcStride: 9, dstOff: 1, dstStride: 7, rows: 3, cols: 5, accumulate: true }, bufs: { src: f32(randn(30, 24)), dst: f32(randn(25, 25)) }, tol: 0 });
  const vals = [0, 1, -1, 1.00390625, 3.14159, 65504, 1e-7, -2.5e-5, 70000, 1 / 3, 255.9, -255.9];
  for (const [srcType, dstType] of [['f32', 'bf16'], ['f32', 'f16'], ['f32', 'i32'], ['i32', 'f32'], ['bf16', 'f32'], ['f16', 'f32']] as [DType, DType][]) {
    const data = srcType === 'i32' ? Int32Array.from([0, 1, -7, 123456]) : Float32Array.from(vals);
    cs.push({ name: `cast ${srcType} -> ${dstType}`, kernel: 'cast', args: { srcType, dstType, n: data.length }, bufs: { src: { dtype: srcType, data }, dst: { dtype: dstType, data: new Float32Array(data.length) } }, tol: 0 });
  }
  return cs;
}

const CASES: Case[] = [
  ...[[1, 1, 1], [3, 17, 5], [17, 129, 33], [129, 3, 300], [33, 65, 257]].flatMap(([m, n, k]) =>
    [false, true].flatMap((ta) => [false, true].map((tb) => matmulCase(m!, n!, k!, ta, tb)))),
  matmulCase(17, 33, 9, false, true, 3, 'b', true),
  matmulCase(17, 33, 9, true, false, 3, 'a'),
  matmulCase(5, 7, 3, true, false, 4, 'c', true),
  ...attentionCases(2, 17, 20, 4, 2, 17, 3, true),
  ...attentionCases(1, 5, 5, 3, 3, 8, 0, false),
  ...attentionCases(2, 1, 9, 2, 1, 16, 8, true),
  ...normCases(3, 129),
  ...normCases(1, 1),
  ...crossEntropyCases(17, 129),
  ...elementwiseCases(),
];

describe('native kernels against the plain TypeScript reference', { skip }, () => {
  for (const c of CASES) {
    test(c.name, () => {
      const ref = createRefBackend();
      const nat = createNativeBackend({ threads: 2 });
      const want = runCase(ref, c);
      const got = runCase(nat, c);
      for (const name of Object.keys(c.bufs)) assertClose(got[name]!, want[name]!, c.tol ?? 2e-5, `${c.name}: ${name}`);
      assert.equal(nat.memory().buffers, 0);
      ref.dispose();
      nat.dispose();
    });
  }
});

// Shapes large enough that every kernel splits its work over both threads.
const THREADED: Case[] = [
  matmulCase(300, 200, 150, false, false),
  matmulCase(130, 260, 513, true, true, 2),
  ...attentionCases(2, 65, 65, 4, 2, 16, 0, true),
  ...normCases(200, 129),
  ...crossEntropyCases(64, 1031),
  { name: 'adamw 100000', kernel: 'adamw', args: { n: 100000, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 10 }, bufs: { p: f32(randn(100000, 1)), g: f32(randn(100000, 2)), m: zeros(100000), v: zeros(100000) } },
  { name: 'sumSquares 100000', kernel: 'sumSquares', args: { n: 100000, accumulate: false }, bufs: { x: f32(randn(100000, 3)), out: zeros(1) } },
  { name: 'activation gelu 64x1031', kernel: 'activation', args: { op: 'gelu', rows: 64, c: 1031, bias: null }, bufs: { x: f32(randn(64 * 1031, 4)), out: zeros(64 * 1031) } },
  { name: 'embeddingBwd 500x200', kernel: 'embeddingBwd', args: { n: 500, c: 200, v: 7 }, bufs: { dout: f32(randn(500 * 200, 5)), ids: i32(Int32Array.from({ length: 500 }, (_, i) => (i * 3) % 7)), dtable: zeros(7 * 200) } },
];

describe('native kernels: 1 and 2 threads give identical bits', { skip }, () => {
  for (const c of THREADED) {
    test(c.name, () => {
      const one = createNativeBackend({ threads: 1 });
      const two = createNativeBackend({ threads: 2 });
      const a = runCase(one, c);
      const b = runCase(two, c);
      for (const name of Object.keys(c.bufs)) assert.deepEqual(b[name], a[name], `${c.name}: ${name}`);
      one.dispose();
      two.dispose();
    });
  }
});

describe('native addon', { skip }, () => {
  test('bf16 matmul equals an f64 product of bf16-rounded operands', () => {
    const n = loadNative().addon!;
    const bf = (x: number): number => {
      const u = new Uint32Array(Float32Array.of(x).buffer)[0]!;
      return new Float32Array(Uint32Array.of(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16).buffer)[0]!;
    };
    for (const [M, N, K] of [[1, 1, 1], [3, 17, 5], [17, 65, 33], [13, 40, 300]]) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
        const a = randn(M! * K!, 1), b = randn(K! * N!, 2), c = new Float32Array(M! * N!);
        n.matmul(a, b, c, 1, M!, N!, K!, 0, 0, 0, MATMUL_FLAGS.bf16 | (ta ? MATMUL_FLAGS.transA : 0) | (tb ? MATMUL_FLAGS.transB : 0));
        const want = new Float64Array(M! * N!);
        for (let i = 0; i < M!; i++)
          for (let j = 0; j < N!; j++) {
            let s = 0;
            for (let p = 0; p < K!; p++) s += bf(ta ? a[p * M! + i]! : a[i * K! + p]!) * bf(tb ? b[j * K! + p]! : b[p * N! + j]!);
            want[i * N! + j] = s;
          }
        assertClose(Float64Array.from(c), want, 1e-5, `bf16 ${M}x${N}x${K} tA=${ta} tB=${tb}`);
      }
    }
  });

  test('free releases memory and detaches the ArrayBuffer; kernels refuse short buffers', () => {
    const n = loadNative().addon!;
    const before = n.memory().liveBytes;
    const ab = n.alloc(4 * 100);
    assert.equal(ab.byteLength, 400);
    assert.equal(n.memory().liveBytes, before + 400);
    new Float32Array(ab).fill(3);
    n.free(ab);
    assert.equal(ab.byteLength, 0);
    assert.equal(n.memory().liveBytes, before);
    assert.throws(() => n.free(ab), /alloc/);
    assert.throws(() => n.affine(ab, new Float32Array(100), 100, 1, 0), /needs 400/);
    assert.throws(() => n.matmul(new Float32Array(5), new Float32Array(6), new Float32Array(6), 1, 2, 3, 3, 0, 0, 0, 0), /bytes/);
  });

  test('the backend frees on dispose and reports its memory', () => {
    const be = createNativeBackend({ threads: 1 });
    const a = be.alloc('f32', 1000);
    be.alloc('bf16', 10);
    assert.deepEqual(be.memory(), { bytesInUse: 4020, highWaterBytes: 4020, buffers: 2 });
    be.free(a);
    assert.throws(() => be.free(a), /twice/);
    be.dispose();
    assert.equal(be.memory().buffers, 0);
  });

  test('bad calls throw instead of corrupting memory', () => {
    const n = loadNative().addon!;
    assert.throws(() => n.embedding(new Float32Array(10), Int32Array.of(5), new Float32Array(2), 1, 2, 5), /id 5 out of range/);
    const t = Int32Array.of(9);
    assert.throws(() => n.crossEntropy(new Float32Array(3), t, new Float32Array(1), new Float32Array(1), 1, 3, -100), /target 9/);
    assert.throws(() => n.attention(new Float32Array(8), new Float32Array(8), new Float32Array(8), new Float32Array(8), new Float32Array(4), 1, 2, 2, 3, 2, 2, 1, true, 0), /multiple/);
  });
});

// Each instruction-set path in a child process (the path is chosen when the addon loads).
const self = fileURLToPath(import.meta.url);
const child = (env: Record<string, string>, args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });

describe('native paths and fallback', { skip: skip || process.env.ANVIL_NATIVE_CHILD === '1' }, () => {
  for (const isa of ['avx2', 'scalar']) {
    test(`ANVIL_NATIVE_ISA=${isa} passes the kernel tests`, (t) => {
      const info = loadNative().addon!.info();
      if (isa === 'avx2' && info.isa === 'scalar') return t.skip('this processor has no AVX2');
      const r = child({ ANVIL_NATIVE_ISA: isa, ANVIL_NATIVE_CHILD: '1' }, ['--test', '--test-reporter=dot', self]);
      assert.equal(r.status, 0, `${isa}: ${String(r.stdout).slice(-2000)}`);
      const probe = child({ ANVIL_NATIVE_ISA: isa }, ['--input-type=module', '-e',
        `import { nativeInfo } from ${JSON.stringify(new URL('../src/backend/native/index.js', import.meta.url).href)}; process.stdout.write(nativeInfo().isa);`]);
      assert.equal(probe.stdout, isa);
    });
  }

  test('ANVIL_NATIVE=off: unavailable with a reason, and createBackend says so', () => {
    const mod = JSON.stringify(new URL('../src/backend/index.js', import.meta.url).href);
    const r = child({ ANVIL_NATIVE: 'off' }, ['--input-type=module', '-e',
      `import { backendAvailable, createBackend } from ${mod};
       const a = await backendAvailable('native');
       let err = ''; try { await createBackend('native'); } catch (e) { err = e.name + ': ' + e.message; }
       process.stdout.write(JSON.stringify({ a, err }));`]);
    const out = JSON.parse(String(r.stdout)) as { a: { ok: boolean; reason: string }; err: string };
    assert.equal(out.a.ok, false);
    assert.match(out.a.reason, /ANVIL_NATIVE=off/);
    assert.match(out.err, /UsageError: native backend unavailable/);
  });

  test('an unknown ANVIL_NATIVE_ISA is refused with the reason', () => {
    const mod = JSON.stringify(new URL('../src/backend/native/index.js', import.meta.url).href);
    const r = child({ ANVIL_NATIVE_ISA: 'sse9' }, ['--input-type=module', '-e',
      `import { isNativeAvailable } from ${mod}; process.stdout.write(JSON.stringify(isNativeAvailable()));`]);
    const out = JSON.parse(String(r.stdout)) as { ok: boolean; reason: string };
    assert.equal(out.ok, false);
    assert.match(out.reason, /ANVIL_NATIVE_ISA must be avx512, avx2, scalar or auto/);
  });
});
