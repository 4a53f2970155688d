// Tests of the raw WebAssembly kernels: each against a plain JavaScript loop (in f64) on
// shapes that are not multiples of the SIMD width or tile (1, 3, 17, 129, ...), and the
// same inputs on 1 thread and on 3 threads giving bitwise identical results.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CpuKernels, dropoutUniform, fillRopeTables, type Ptr } from './kernels.js';
import { createCpuRuntime, KernelError, setKernelProfiler, type CpuRuntime } from './runtime.js';

type Arr = Float32Array | Int32Array | Uint16Array;
type Bufs = Record<string, Arr>;

let one: CpuKernels;
let many: CpuKernels;

/** Deterministic uniform numbers in [-1, 1). */
function rand(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function view(rt: CpuRuntime, p: Ptr, like: Arr): Arr {
  if (like instanceof Float32Array) return rt.f32(p, like.length);
  if (like instanceof Int32Array) return rt.i32(p, like.length);
  return rt.u16(p, like.length);
}

/** Copy bufs into the arena, run `call`, read every buffer back, free. */
function exec(k: CpuKernels, bufs: Bufs, call: (k: CpuKernels, p: Record<string, Ptr>) => void): Bufs {
  const rt = k.rt;
  const p: Record<string, Ptr> = {};
  for (const [name, a] of Object.entries(bufs)) {
    p[name] = rt.alloc(Math.max(1, a.byteLength));
    view(rt, p[name]!, a).set(a as never);
  }
  try {
    call(k, p);
    const out: Bufs = {};
    for (const [name, a] of Object.entries(bufs)) out[name] = view(rt, p[name]!, a).slice();
    return out;
  } finally {
    for (const ptr of Object.values(p)) rt.free(ptr);
  }
}

/** Run on 1 and on 3 threads; assert identical bits; return the 1-thread result. */
function both(bufs: Bufs, call: (k: CpuKernels, p: Record<string, Ptr>) => void): Bufs {
  const a = exec(one, bufs, call);
  const b = exec(many, bufs, call);
  for (const name of Object.keys(bufs)) {
    const x = a[name]!;
    const y = b[name]!;
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], y[i])) assert.fail(`${name}[${i}]: 1 thread ${x[i]} != 3 threads ${y[i]}`);
    }
  }
  return a;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5, what = ''): void {
  assert.equal(got.length, want.length, `${what} length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!(Math.abs(g - w) <= tol * (1 + Math.abs(w)))) assert.fail(`${what}[${i}]: got ${g}, want ${w}`);
  }
}

// The whole kernel suite runs on both builds: relaxed SIMD (FMA) and plain SIMD.
for (const simd of ['relaxed', 'simd'] as const) {
  describe(`${simd} build`, () => {
    before(async () => {
      one = new CpuKernels(await createCpuRuntime({ threads: 1, initialBytes: 8 << 20, simd }));
      many = new CpuKernels(await createCpuRuntime({ threads: 3, initialBytes: 8 << 20, simd }));
    });
    after(async () => {
      await one.rt.close();
      await many.rt.close();
    });

    describe('matmul', () => {
      function refMatmul(A: Float32Array, Bm: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean, batch: number, sa: number, sb: number, sc: number, C0: Float32Array, acc: boolean): Float32Array {
        const C = Float64Array.from(C0);
        const touched = new Set<number>();
        for (let bi = 0; bi < batch; bi++) {
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let p = 0; p < k; p++) s += A[bi * sa + (ta ? p * m + i : i * k + p)]! * Bm[bi * sb + (tb ? j * k + p : p * n + j)]!;
              const ci = bi * sc + i * n + j;
              if (!acc && !touched.has(ci)) {
                C[ci] = 0;
                touched.add(ci);
              }
              C[ci]! += s;
            }
          }
        }
        return Float32Array.from(C);
      }

      const cases: [number, number, number][] = [
        [3, 17, 5],
        [17, 3, 129],
        [129, 33, 17],
        [7, 1030, 3],
        [13, 9, 300],
        [70, 200, 64],
        [6, 8, 0],
        // Matrix-vector path (m <= 2, decoding), with more columns than one thread's block.
        [1, 1, 1],
        [1, 600, 37],
        [2, 70, 1000],
        [2, 1500, 400],
      ];
      for (const [m, n, k] of cases) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          it(`${m}x${n}x${k} transA=${ta} transB=${tb}`, () => {
            const A = rand(m * k, 1);
            const Bm = rand(k * n, 2);
            const C0 = rand(m * n, 3);
            for (const acc of [false, true]) {
              const r = both({ A, B: Bm, C: C0 }, (kk, p) => kk.matmul({ a: p.A!, b: p.B!, c: p.C!, m, n, k, transA: ta, transB: tb, accumulate: acc }));
              close(r.C!, refMatmul(A, Bm, m, n, k, ta, tb, 1, 0, 0, 0, C0, acc), 1e-5, 'C');
            }
          });
        }
      }

      it('batched, with a shared B, a shared A, and all items summed into one C', () => {
        const [m, n, k, batch] = [5, 19, 11, 6];
        const A = rand(batch * m * k, 4);
        const Bm = rand(batch * k * n, 5);
        const C0 = rand(batch * m * n, 6);
        for (const [sa, sb, sc] of [[m * k, k * n, m * n], [m * k, 0, m * n], [0, k * n, m * n], [m * k, k * n, 0]] as const) {
          const r = both({ A, B: Bm, C: C0 }, (kk, p) => kk.matmul({ a: p.A!, b: p.B!, c: p.C!, m, n, k, batch, strideA: sa, strideB: sb, strideC: sc, transB: true }));
          close(r.C!, refMatmul(A, Bm, m, n, k, false, true, batch, sa, sb, sc, C0, false), 1e-5, `C strides ${sa},${sb},${sc}`);
        }
      });

      it('batched matrix-vector products (m = 1), shared and summed', () => {
        const [m, n, k, batch] = [1, 37, 19, 4];
        const A = rand(batch * m * k, 9);
        const Bm = rand(batch * k * n, 10);
        const C0 = rand(batch * m * n, 11);
        for (const [sa, sb, sc, tb] of [[k, k * n, n, false], [k, 0, n, true], [k, k * n, 0, false], [0, k * n, n, true]] as const) {
          const r = both({ A, B: Bm, C: C0 }, (kk, p) => kk.matmul({ a: p.A!, b: p.B!, c: p.C!, m, n, k, batch, strideA: sa, strideB: sb, strideC: sc, transB: tb, accumulate: true }));
          close(r.C!, refMatmul(A, Bm, m, n, k, false, tb, batch, sa, sb, sc, C0, true), 1e-5, `C strides ${sa},${sb},${sc}`);
        }
      });

      it('many small batch items split across threads (attention-like)', () => {
        const [m, n, k, batch] = [33, 33, 16, 9];
        const A = rand(batch * m * k, 7);
        const Bm = rand(batch * k * n, 8);
        const C0 = new Float32Array(batch * m * n);
        const r = both({ A, B: Bm, C: C0 }, (kk, p) => kk.matmul({ a: p.A!, b: p.B!, c: p.C!, m, n, k, batch }));
        close(r.C!, refMatmul(A, Bm, m, n, k, false, false, batch, m * k, k * n, m * n, C0, false), 1e-5, 'C');
      });
    });

    describe('elementwise', () => {
      const ops = ['add', 'sub', 'mul', 'div'] as const;
      const f = (op: (typeof ops)[number], x: number, y: number): number => (op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : x / y);

      for (const N of [1, 3, 17, 129, 40001]) {
        it(`binary same / scalar, N=${N}`, () => {
          const a = rand(N, 1);
          const b = rand(N, 2);
          for (const op of ops) {
            const r = both({ a, b, o: new Float32Array(N) }, (k, p) => k.binarySame(op, p.a!, p.b!, p.o!, N));
            close(r.o!, Array.from(a, (x, i) => f(op, x, b[i]!)), 1e-6, op);
            for (const first of [false, true]) {
              const s = both({ a, o: new Float32Array(N) }, (k, p) => k.binaryScalar(op, p.a!, 0.75, p.o!, N, first));
              close(s.o!, Array.from(a, (x) => (first ? f(op, 0.75, x) : f(op, x, 0.75))), 1e-6, `${op} scalar`);
            }
          }
        });
      }

      for (const [N, M] of [[3, 1], [51, 17], [129 * 5, 129], [40000, 400]]) {
        it(`binary repeat (bias broadcast) N=${N} M=${M}`, () => {
          const big = rand(N, 3);
          const small = rand(M, 4);
          for (const op of ops) {
            const r = both({ a: big, b: small, o: new Float32Array(N) }, (k, p) => k.binaryRepeat(op, p.a!, p.b!, p.o!, N, M));
            close(r.o!, Array.from(big, (x, i) => f(op, x, small[i % M]!)), 1e-6, op);
            const s = both({ a: small, b: big, o: new Float32Array(N) }, (k, p) => k.binaryRepeat(op, p.a!, p.b!, p.o!, N, M, true));
            close(s.o!, Array.from(big, (y, i) => f(op, small[i % M]!, y)), 1e-6, `${op} repeated a`);
          }
        });
      }

      it('binary strided: middle-axis broadcast (3,1,5) op (1,17,5) and rank 6', () => {
        const a = rand(15, 5);
        const b = rand(85, 6);
        const shape = [3, 17, 5];
        const r = both({ a, b, o: new Float32Array(255) }, (k, p) => k.binaryStrided('sub', p.a!, p.b!, p.o!, shape, [5, 0, 1], [0, 5, 1]));
        const want: number[] = [];
        for (let i = 0; i < 3; i++) for (let j = 0; j < 17; j++) for (let l = 0; l < 5; l++) want.push(a[i * 5 + l]! - b[j * 5 + l]!);
        close(r.o!, want, 1e-6);
        const s6 = [2, 1, 3, 2, 1, 3];
        const x = rand(36, 7);
        const y = rand(3, 8);
        const q = both({ x, y, o: new Float32Array(36) }, (k, p) => k.binaryStrided('mul', p.x!, p.y!, p.o!, s6, [18, 18, 6, 3, 3, 1], [0, 0, 0, 0, 0, 1]));
        close(q.o!, Array.from(x, (v, i) => v * y[i % 3]!), 1e-6);
      });

      it('sumRows, reduceStrided (sum-to-shape), sumLast, maxLast and their backward helpers', () => {
        const [R, C] = [37, 129];
        const x = rand(R * C, 9);
        const init = rand(C, 10);
        for (const acc of [false, true]) {
          const r = both({ x, o: init }, (k, p) => k.sumRows(p.x!, p.o!, R, C, acc));
          const want = Array.from({ length: C }, (_, c) => {
            let s = acc ? init[c]! : 0;
            for (let i = 0; i < R; i++) s += x[i * C + c]!;
            return s;
          });
          close(r.o!, want, 1e-5, 'sumRows');
        }
        // (3, 4, 5) summed to (3, 1, 5): out strides [5, 0, 1].
        const y = rand(60, 11);
        const red = both({ y, o: new Float32Array(15).fill(7) }, (k, p) => k.reduceStrided(p.y!, p.o!, [3, 4, 5], [5, 0, 1]));
        const wantRed = new Array<number>(15).fill(0);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let l = 0; l < 5; l++) wantRed[i * 5 + l]! += y[i * 20 + j * 5 + l]!;
        close(red.o!, wantRed, 1e-6, 'reduceStrided');
        const sl = both({ x, o: new Float32Array(R) }, (k, p) => k.sumLast(p.x!, p.o!, R, C, 1 / C));
        close(sl.o!, Array.from({ length: R }, (_, i) => x.subarray(i * C, (i + 1) * C).reduce((s, v) => s + v, 0) / C), 1e-5, 'meanLast');
        const mx = both({ x, o: new Float32Array(R), arg: new Int32Array(R) }, (k, p) => k.maxLast(p.x!, p.o!, p.arg!, R, C));
        for (let i = 0; i < R; i++) {
          const row = Array.from(x.subarray(i * C, (i + 1) * C));
          const m = Math.max(...row);
          assert.equal(mx.o![i], Math.fround(m));
          assert.equal(mx.arg![i], row.indexOf(m));
        }
        const dy = rand(R, 12);
        const mb = both({ dy, arg: mx.arg!, dx: rand(R * C, 13) }, (k, p) => k.maxLastBackward(p.dy!, p.arg!, p.dx!, R, C));
        for (let i = 0; i < R * C; i++) assert.equal(mb.dx![i], (i % C) === mx.arg![Math.floor(i / C)] ? dy[Math.floor(i / C)] : 0);
        const bl = both({ dy, dx: new Float32Array(R * C) }, (k, p) => k.broadcastLast(p.dy!, p.dx!, R, C, 0.5));
        close(bl.dx!, Array.from({ length: R * C }, (_, i) => dy[Math.floor(i / C)]! * 0.5), 1e-7);
      });

      it('GELU (tanh), SiLU and bias+GELU, forward and backward', () => {
        const N = 1027;
        const x = rand(N, 14).map((v) => v * 6);
        const dy = rand(N, 15);
        const k0 = Math.sqrt(2 / Math.PI);
        const gelu = (v: number): number => 0.5 * v * (1 + Math.tanh(k0 * (v + 0.044715 * v ** 3)));
        const dgelu = (v: number): number => {
          const t = Math.tanh(k0 * (v + 0.044715 * v ** 3));
          return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k0 * (1 + 3 * 0.044715 * v * v);
        };
        const sig = (v: number): number => 1 / (1 + Math.exp(-v));
        let r = both({ x, y: new Float32Array(N) }, (k, p) => k.gelu(p.x!, p.y!, N));
        close(r.y!, Array.from(x, gelu), 2e-6, 'gelu');
        r = both({ x, dy, dx: new Float32Array(N) }, (k, p) => k.geluBackward(p.x!, p.dy!, p.dx!, N));
        close(r.dx!, Array.from(x, (v, i) => dgelu(v) * dy[i]!), 2e-6, 'gelu bwd');
        r = both({ x, y: new Float32Array(N) }, (k, p) => k.silu(p.x!, p.y!, N));
        close(r.y!, Array.from(x, (v) => v * sig(v)), 2e-6, 'silu');
        r = both({ x, dy, dx: new Float32Array(N) }, (k, p) => k.siluBackward(p.x!, p.dy!, p.dx!, N));
        close(r.dx!, Array.from(x, (v, i) => sig(v) * (1 + v * (1 - sig(v))) * dy[i]!), 2e-6, 'silu bwd');
        const [R, C] = [13, 79];
        const xs = rand(R * C, 16);
        const bias = rand(C, 17);
        const dys = rand(R * C, 18);
        r = both({ x: xs, b: bias, y: new Float32Array(R * C) }, (k, p) => k.biasGelu(p.x!, p.b!, p.y!, R, C));
        close(r.y!, Array.from(xs, (v, i) => gelu(v + bias[i % C]!)), 2e-6, 'biasGelu');
        const db0 = rand(C, 19);
        r = both({ x: xs, b: bias, dy: dys, dx: new Float32Array(R * C), db: db0 }, (k, p) => k.biasGeluBackward(p.x!, p.b!, p.dy!, p.dx!, p.db!, R, C));
        const wantDx = Array.from(xs, (v, i) => dgelu(v + bias[i % C]!) * dys[i]!);
        close(r.dx!, wantDx, 2e-6, 'biasGelu dx');
        close(r.db!, Array.from(db0, (v, c) => v + wantDx.filter((_, i) => i % C === c).reduce((s, t) => s + t, 0)), 1e-5, 'biasGelu db');
      });

      it('dropout regenerates the mask of dropoutUniform and scales kept values', () => {
        const N = 5003;
        const x = rand(N, 20);
        const p = 0.3;
        const r = both({ x, y: new Float32Array(N) }, (k, q) => k.dropout(q.x!, q.y!, N, p, 1234, 77));
        let kept = 0;
        for (let i = 0; i < N; i++) {
          const keep = dropoutUniform(1234, 77 + i) >= p;
          if (keep) kept++;
          assert.equal(r.y![i], keep ? Math.fround(x[i]! * Math.fround(1 / (1 - p))) : 0);
        }
        assert.ok(Math.abs(kept / N - 0.7) < 0.03, `kept fraction ${kept / N}`);
      });

      it('AdamW, sumSquares, scale, fill, copy', () => {
        const N = 1029;
        const param = rand(N, 21);
        const grad = rand(N, 22);
        const m = rand(N, 23).map((v) => v * 0.1);
        const v = rand(N, 24).map((x) => x * x * 0.01);
        const h = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3, gradScale: 0.5 };
        const r = both({ param, grad, m, v }, (k, p) => k.adamw(p.param!, p.grad!, p.m!, p.v!, N, h));
        for (let i = 0; i < N; i++) {
          const g = grad[i]! * 0.5;
          const mm = 0.9 * m[i]! + 0.1 * g;
          const vv = 0.95 * v[i]! + 0.05 * g * g;
          const upd = 0.1 * param[i]! + mm / (1 - 0.9 ** 3) / (Math.sqrt(vv / (1 - 0.95 ** 3)) + 1e-8);
          close([r.m![i]!, r.v![i]!, r.param![i]!], [mm, vv, param[i]! - 1e-3 * upd], 1e-5, `adamw ${i}`);
        }
        for (const n of [1, 3, 8192, 20001]) {
          const x = rand(n, 25);
          const a = one.rt.alloc(4 * n);
          const b = many.rt.alloc(4 * n);
          one.rt.f32(a, n).set(x);
          many.rt.f32(b, n).set(x);
          const s1 = one.sumSquares(a, n);
          assert.equal(many.sumSquares(b, n), s1);
          close([s1], [x.reduce((s, t) => s + t * t, 0)], 1e-9, 'sumSquares');
          one.rt.free(a);
          many.rt.free(b);
        }
        const x = rand(N, 26);
        let q = both({ x }, (k, p) => k.scale(p.x!, N, -2.5));
        close(q.x!, Array.from(x, (t) => t * -2.5), 1e-7);
        q = both({ x }, (k, p) => k.fill(p.x!, N - 2, 3.5));
        close(q.x!, Array.from(x, (t, i) => (i < N - 2 ? 3.5 : t)), 0);
        q = both({ x, y: new Float32Array(N) }, (k, p) => k.copy(p.y!, p.x! + 8, 4 * 17));
        close(q.y!.subarray(0, 18), [...x.subarray(2, 19), 0], 0);
      });

      it('copy2d: strided rows, overwrite and accumulate', () => {
        const [rows, cols, ss, ds] = [37, 13, 40, 17];
        const src = rand(rows * ss, 28);
        const dst0 = rand(rows * ds, 29);
        for (const acc of [false, true]) {
          const r = both({ src, dst: dst0 }, (k, p) => k.copy2d(p.src! + 4 * 3, ss, p.dst! + 4 * 2, ds, rows, cols, acc));
          const want = Float64Array.from(dst0);
          for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) want[i * ds + 2 + c] = (acc ? want[i * ds + 2 + c]! : 0) + src[i * ss + 3 + c]!;
          close(r.dst!, want, 1e-7, `copy2d acc=${acc}`);
        }
        const N = 3000;
        const big = rand(N * 20, 30);
        const r = both({ src: big, dst: new Float32Array(N * 20) }, (k, p) => k.copy2d(p.src!, 20, p.dst!, 20, N, 20, true));
        close(r.dst!, big, 0);
      });

      it('casts: bf16 and f16 round to nearest even, specials kept; i32 and u16', () => {
        const specials = [0, -0, 1, -1, 1.00390625, 1.005859375, 65504, 65520, 70000, 1e-5, 6e-8, 2.9e-8, 3e-8, 5.9604645e-8, Infinity, -Infinity, NaN, 3.4e38, 1 + 2 ** -8, 1 + 3 * 2 ** -8];
        const x = Float32Array.from([...specials, ...rand(1000, 27).map((v) => v * 1000)]);
        const N = x.length;
        const bf = both({ x, h: new Uint16Array(N) }, (k, p) => k.castF32ToBf16(p.x!, p.h!, N));
        const f16 = both({ x, h: new Uint16Array(N) }, (k, p) => k.castF32ToF16(p.x!, p.h!, N));
        const bits = new Uint32Array(x.buffer);
        for (let i = 0; i < N; i++) {
          const b = bits[i]!;
          const wantBf = Number.isNaN(x[i]) ? null : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
          if (wantBf === null) assert.ok((bf.h![i]! & 0x7f80) === 0x7f80 && (bf.h![i]! & 0x7f) !== 0);
          else assert.equal(bf.h![i], wantBf, `bf16 of ${x[i]}`);
          assert.equal(f16.h![i], refF16(x[i]!), `f16 of ${x[i]}`);
        }
        const back = both({ h: bf.h!, y: new Float32Array(N) }, (k, p) => k.castBf16ToF32(p.h!, p.y!, N));
        for (let i = 0; i < N; i++) if (!Number.isNaN(x[i])) assert.ok(Math.abs(back.y![i]! - x[i]!) <= Math.abs(x[i]!) * 2 ** -8 || !Number.isFinite(back.y![i]!));
        const hb = both({ h: f16.h!, y: new Float32Array(N) }, (k, p) => k.castF16ToF32(p.h!, p.y!, N));
        for (let i = 0; i < N; i++) assert.equal(refF16(hb.y![i]!), f16.h![i], `f16 round trip of ${x[i]}`);
        const ints = Int32Array.from([0, 1, -1, 17, 2 ** 24 + 1, -(2 ** 31)]);
        const ci = both({ a: ints, y: new Float32Array(6) }, (k, p) => k.castI32ToF32(p.a!, p.y!, 6));
        assert.deepEqual(Array.from(ci.y!), Array.from(ints, (v) => Math.fround(v)));
        const u = Uint16Array.from([0, 1, 65535, 300]);
        const cu = both({ a: u, y: new Int32Array(4) }, (k, p) => k.castU16ToI32(p.a!, p.y!, 4));
        assert.deepEqual(Array.from(cu.y!), [0, 1, 65535, 300]);
      });
    });

    describe('embedding', () => {
      it('gather and scatter-add with repeated ids (i32 and u16 ids)', () => {
        const [V, C, N] = [11, 37, 29];
        const w = rand(V * C, 30);
        const idsArr = Array.from({ length: N }, (_, i) => (i * 7) % V);
        for (const u16 of [false, true]) {
          const ids = u16 ? Uint16Array.from(idsArr) : Int32Array.from(idsArr);
          const r = both({ w, ids, o: new Float32Array(N * C) }, (k, p) => k.embedding(p.w!, p.ids!, p.o!, N, C, V, u16));
          close(r.o!, idsArr.flatMap((id) => Array.from(w.subarray(id * C, (id + 1) * C))), 0);
          const dout = rand(N * C, 31);
          const dw0 = rand(V * C, 32);
          const b = both({ dout, ids, dw: dw0 }, (k, p) => k.embeddingBackward(p.dout!, p.ids!, p.dw!, N, C, V, u16));
          const want = Float64Array.from(dw0);
          idsArr.forEach((id, i) => {
            for (let c = 0; c < C; c++) want[id * C + c]! += dout[i * C + c]!;
          });
          close(b.dw!, want, 1e-6);
        }
      });

      it('an id out of range fails loudly, on 1 and on 3 threads', () => {
        for (const k of [one, many]) {
          const ids = Int32Array.from([0, 5, 99]);
          assert.throws(() => exec(k, { w: rand(50, 1), ids, o: new Float32Array(15 * 1000) }, (kk, p) => kk.embedding(p.w!, p.ids!, p.o!, 3, 5, 10)), KernelError);
          const big = new Int32Array(40000).fill(1);
          big[39999] = -1;
          assert.throws(() => exec(k, { w: rand(20, 1), ids: big, o: new Float32Array(80000) }, (kk, p) => kk.embedding(p.w!, p.ids!, p.o!, 40000, 2, 10)), KernelError);
        }
      });
    });

    describe('norms', () => {
      const [R, C] = [19, 131];
      const x = rand(R * C, 40).map((v, i) => v * 3 + (i % 7));
      const w = rand(C, 41);
      const b = rand(C, 42);
      const dy = rand(R * C, 43);
      const eps = 1e-5;

      function refLN(withBias: boolean): { y: number[]; mean: number[]; rstd: number[]; dx: number[]; dw: number[]; db: number[] } {
        const y: number[] = [], mean: number[] = [], rstd: number[] = [], dx: number[] = [];
        const dw = new Array<number>(C).fill(0), db = new Array<number>(C).fill(0);
        for (let r = 0; r < R; r++) {
          const row = Array.from(x.subarray(r * C, (r + 1) * C));
          const mu = row.reduce((s, v) => s + v, 0) / C;
          const rs = 1 / Math.sqrt(row.reduce((s, v) => s + (v - mu) ** 2, 0) / C + eps);
          mean.push(mu);
          rstd.push(rs);
          const xh = row.map((v) => (v - mu) * rs);
          xh.forEach((v, c) => y.push(v * w[c]! + (withBias ? b[c]! : 0)));
          const g = xh.map((_, c) => dy[r * C + c]! * w[c]!);
          const mg = g.reduce((s, v) => s + v, 0) / C;
          const mgx = g.reduce((s, v, c) => s + v * xh[c]!, 0) / C;
          xh.forEach((v, c) => {
            dx.push(rs * (g[c]! - mg - v * mgx));
            dw[c]! += dy[r * C + c]! * v;
            db[c]! += dy[r * C + c]!;
          });
        }
        return { y, mean, rstd, dx, dw, db };
      }

      it('LayerNorm forward (with and without bias) and backward, and the fused residual add', () => {
        for (const withBias of [true, false]) {
          const want = refLN(withBias);
          const f = both({ x, w, b, y: new Float32Array(R * C), mean: new Float32Array(R), rstd: new Float32Array(R) }, (k, p) => k.layerNorm(p.x!, p.w!, withBias ? p.b! : 0, p.y!, p.mean!, p.rstd!, R, C, eps));
          close(f.y!, want.y, 2e-5, 'y');
          close(f.mean!, want.mean, 1e-5, 'mean');
          close(f.rstd!, want.rstd, 1e-5, 'rstd');
          const dAdd = rand(R * C, 44);
          const dw0 = rand(C, 45);
          const db0 = rand(C, 46);
          const g = both({ dy, x, w, mean: f.mean!, rstd: f.rstd!, dx: new Float32Array(R * C), dw: dw0, db: db0, dAdd }, (k, p) =>
            k.layerNormBackward(p.dy!, p.x!, p.w!, p.mean!, p.rstd!, p.dx!, p.dw!, p.db!, R, C, p.dAdd!),
          );
          close(g.dx!, want.dx.map((v, i) => v + dAdd[i]!), 2e-5, 'dx');
          close(g.dw!, want.dw.map((v, i) => v + dw0[i]!), 2e-5, 'dw');
          close(g.db!, want.db.map((v, i) => v + db0[i]!), 2e-5, 'db');
        }
        const half = x.map((v) => v / 2);
        const want = refLN(true);
        const f = both({ a: half, r: half, s: new Float32Array(R * C), w, b, y: new Float32Array(R * C), mean: new Float32Array(R), rstd: new Float32Array(R) }, (k, p) =>
          k.addLayerNorm(p.a!, p.r!, p.s!, p.w!, p.b!, p.y!, p.mean!, p.rstd!, R, C, eps),
        );
        close(f.s!, x, 1e-6, 's');
        close(f.y!, want.y, 2e-5, 'y');
      });

      it('RMSNorm forward and backward, and the fused residual add', () => {
        const y: number[] = [], rstd: number[] = [], dx: number[] = [];
        const dw = new Array<number>(C).fill(0);
        for (let r = 0; r < R; r++) {
          const row = Array.from(x.subarray(r * C, (r + 1) * C));
          const rs = 1 / Math.sqrt(row.reduce((s, v) => s + v * v, 0) / C + eps);
          rstd.push(rs);
          const xh = row.map((v) => v * rs);
          xh.forEach((v, c) => y.push(v * w[c]!));
          const g = xh.map((_, c) => dy[r * C + c]! * w[c]!);
          const mgx = g.reduce((s, v, c) => s + v * xh[c]!, 0) / C;
          xh.forEach((v, c) => {
            dx.push(rs * (g[c]! - v * mgx));
            dw[c]! += dy[r * C + c]! * v;
          });
        }
        const f = both({ x, w, y: new Float32Array(R * C), rstd: new Float32Array(R) }, (k, p) => k.rmsNorm(p.x!, p.w!, p.y!, p.rstd!, R, C, eps));
        close(f.y!, y, 2e-5, 'y');
        close(f.rstd!, rstd, 1e-5, 'rstd');
        const g = both({ dy, x, w, rstd: f.rstd!, dx: new Float32Array(R * C), dw: new Float32Array(C) }, (k, p) => k.rmsNormBackward(p.dy!, p.x!, p.w!, p.rstd!, p.dx!, p.dw!, R, C));
        close(g.dx!, dx, 2e-5, 'dx');
        close(g.dw!, dw, 2e-5, 'dw');
        const a = x.map((v) => v - 1);
        const r1 = new Float32Array(R * C).fill(1);
        const s = both({ a, r: r1, s: new Float32Array(R * C), w, y: new Float32Array(R * C), rstd: new Float32Array(R) }, (k, p) => k.addRmsNorm(p.a!, p.r!, p.s!, p.w!, p.y!, p.rstd!, R, C, eps));
        close(s.y!, y, 2e-5, 'fused y');
      });

      it('softmax forward and backward, with -Infinity entries', () => {
        const [R2, C2] = [7, 67];
        const xs = rand(R2 * C2, 47).map((v) => v * 10);
        xs[3] = -Infinity;
        const f = both({ x: xs, y: new Float32Array(R2 * C2) }, (k, p) => k.softmax(p.x!, p.y!, R2, C2));
        const want: number[] = [];
        for (let r = 0; r < R2; r++) {
          const row = Array.from(xs.subarray(r * C2, (r + 1) * C2));
          const m = Math.max(...row);
          const e = row.map((v) => Math.exp(v - m));
          const s = e.reduce((a, v) => a + v, 0);
          want.push(...e.map((v) => v / s));
        }
        close(f.y!, want, 1e-5, 'softmax');
        const d = rand(R2 * C2, 48);
        const g = both({ y: f.y!, dy: d, dx: new Float32Array(R2 * C2) }, (k, p) => k.softmaxBackward(p.y!, p.dy!, p.dx!, R2, C2));
        const wantDx: number[] = [];
        for (let r = 0; r < R2; r++) {
          let dot = 0;
          for (let c = 0; c < C2; c++) dot += f.y![r * C2 + c]! * d[r * C2 + c]!;
          for (let c = 0; c < C2; c++) wantDx.push(f.y![r * C2 + c]! * (d[r * C2 + c]! - dot));
        }
        close(g.dx!, wantDx, 1e-5, 'softmax bwd');
      });

      it('cross-entropy with an ignore index: loss, lse and dlogits', () => {
        const [R2, V] = [9, 131];
        const logits = rand(R2 * V, 49).map((v) => v * 8);
        const targets = Int32Array.from([3, -100, 130, 0, 77, -100, 5, 129, 64]);
        const rowLoss = new Float32Array(R2);
        const lse = new Float32Array(R2);
        let loss1 = 0;
        const f = both({ logits, targets, rowLoss, lse }, (k, p) => {
          loss1 = k.crossEntropy(p.logits!, p.targets!, p.rowLoss!, p.lse!, R2, V, -100).loss;
        });
        let sum = 0;
        let count = 0;
        const wantLse: number[] = [];
        for (let r = 0; r < R2; r++) {
          const row = Array.from(logits.subarray(r * V, (r + 1) * V));
          const m = Math.max(...row);
          const l = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
          wantLse.push(l);
          if (targets[r] !== -100) {
            sum += l - row[targets[r]!]!;
            count++;
          }
        }
        close(f.lse!, wantLse, 1e-6, 'lse');
        close([loss1], [sum / count], 1e-6, 'loss');
        const scale = 1 / count;
        const g = both({ logits, targets, lse: f.lse!, dl: new Float32Array(R2 * V) }, (k, p) => k.crossEntropyBackward(p.logits!, p.targets!, p.lse!, p.dl!, R2, V, scale, -100));
        const want: number[] = [];
        for (let r = 0; r < R2; r++) {
          for (let c = 0; c < V; c++) {
            if (targets[r] === -100) want.push(0);
            else want.push((Math.exp(logits[r * V + c]! - wantLse[r]!) - (c === targets[r] ? 1 : 0)) * scale);
          }
        }
        close(g.dl!, want, 1e-5, 'dlogits');
      });

      it('RoPE (rotate-half) with a position offset, and its inverse', () => {
        const [B, T, H, D] = [2, 5, 3, 10];
        const maxPos = 16;
        const cos = new Float32Array(maxPos * D / 2);
        const sin = new Float32Array(maxPos * D / 2);
        fillRopeTables(cos, sin, maxPos, D, 10000);
        const xs = rand(B * T * H * D, 50);
        const pos0 = 4;
        const f = both({ x: xs, y: new Float32Array(xs.length), cos, sin }, (k, p) => k.rope(p.x!, p.y!, p.cos!, p.sin!, B, T, H, D, pos0));
        const want: number[] = [];
        for (let r = 0; r < B * T * H; r++) {
          const t = Math.floor(r / H) % T;
          const row = xs.subarray(r * D, (r + 1) * D);
          const out = new Array<number>(D);
          for (let i = 0; i < D / 2; i++) {
            const ang = (pos0 + t) * Math.pow(10000, (-2 * i) / D);
            out[i] = row[i]! * Math.cos(ang) - row[i + D / 2]! * Math.sin(ang);
            out[i + D / 2] = row[i + D / 2]! * Math.cos(ang) + row[i]! * Math.sin(ang);
          }
          want.push(...out);
        }
        close(f.y!, want, 1e-5, 'rope');
        const inv = both({ x: f.y!, y: new Float32Array(xs.length), cos, sin }, (k, p) => k.rope(p.x!, p.y!, p.cos!, p.sin!, B, T, H, D, pos0, true));
        close(inv.y!, xs, 1e-5, 'inverse');
      });
    });

    describe('attention', () => {
      /** Materialized reference: o, lse, and gradients in f64. */
      function refAttention(q: Float32Array, k: Float32Array, v: Float32Array, dO: Float32Array, B: number, T: number, H: number, Hkv: number, D: number, pastLen: number, kvCap: number, causal: boolean) {
        const S = pastLen + T;
        const G = H / Hkv;
        const scale = 1 / Math.sqrt(D);
        const o = new Array<number>(B * T * H * D).fill(0);
        const lse = new Array<number>(B * H * T).fill(0);
        const dq = new Array<number>(q.length).fill(0);
        const dk = new Array<number>(k.length).fill(0);
        const dv = new Array<number>(v.length).fill(0);
        const qi = (b: number, t: number, h: number, d: number): number => ((b * T + t) * H + h) * D + d;
        const ki = (b: number, j: number, g: number, d: number): number => ((b * kvCap + j) * Hkv + g) * D + d;
        for (let b = 0; b < B; b++)
          for (let h = 0; h < H; h++) {
            const g = Math.floor(h / G);
            for (let t = 0; t < T; t++) {
              const nk = causal ? pastLen + t + 1 : S;
              const s: number[] = [];
              for (let j = 0; j < nk; j++) {
                let d0 = 0;
                for (let d = 0; d < D; d++) d0 += q[qi(b, t, h, d)]! * k[ki(b, j, g, d)]!;
                s.push(d0 * scale);
              }
              const m = Math.max(...s);
              const e = s.map((x) => Math.exp(x - m));
              const sum = e.reduce((a, x) => a + x, 0);
              const p = e.map((x) => x / sum);
              lse[(b * H + h) * T + t] = m + Math.log(sum);
              for (let j = 0; j < nk; j++) for (let d = 0; d < D; d++) o[qi(b, t, h, d)]! += p[j]! * v[ki(b, j, g, d)]!;
              const dp = p.map((_, j) => {
                let x = 0;
                for (let d = 0; d < D; d++) x += dO[qi(b, t, h, d)]! * v[ki(b, j, g, d)]!;
                return x;
              });
              const dsum = p.reduce((a, pj, j) => a + pj * dp[j]!, 0);
              for (let j = 0; j < nk; j++) {
                const ds = p[j]! * (dp[j]! - dsum) * scale;
                for (let d = 0; d < D; d++) {
                  dq[qi(b, t, h, d)]! += ds * k[ki(b, j, g, d)]!;
                  dk[ki(b, j, g, d)]! += ds * q[qi(b, t, h, d)]!;
                  dv[ki(b, j, g, d)]! += p[j]! * dO[qi(b, t, h, d)]!;
                }
              }
            }
          }
        return { o, lse, dq, dk, dv };
      }

      const cases = [
        { B: 1, T: 1, H: 1, Hkv: 1, D: 4, pastLen: 0, kvCap: 1, causal: true },
        { B: 2, T: 17, H: 4, Hkv: 2, D: 13, pastLen: 0, kvCap: 17, causal: true },
        { B: 1, T: 9, H: 3, Hkv: 1, D: 16, pastLen: 0, kvCap: 9, causal: false },
        { B: 2, T: 3, H: 2, Hkv: 2, D: 8, pastLen: 5, kvCap: 12, causal: true },
        { B: 1, T: 33, H: 6, Hkv: 3, D: 64, pastLen: 0, kvCap: 33, causal: true },
        // Several query and key tiles (64 each): online rescaling across tiles, masked tile rows.
        { B: 1, T: 150, H: 2, Hkv: 1, D: 16, pastLen: 0, kvCap: 150, causal: true },
        { B: 2, T: 70, H: 2, Hkv: 2, D: 8, pastLen: 61, kvCap: 140, causal: true },
        { B: 1, T: 130, H: 1, Hkv: 1, D: 5, pastLen: 0, kvCap: 130, causal: false },
      ];
      for (const c of cases) {
        it(`B=${c.B} T=${c.T} H=${c.H} Hkv=${c.Hkv} D=${c.D} pastLen=${c.pastLen} causal=${c.causal}`, () => {
          const q = rand(c.B * c.T * c.H * c.D, 60);
          const kk = rand(c.B * c.kvCap * c.Hkv * c.D, 61).map((x) => x * 2);
          const v = rand(kk.length, 62);
          const dO = rand(q.length, 63);
          const want = refAttention(q, kk, v, dO, c.B, c.T, c.H, c.Hkv, c.D, c.pastLen, c.kvCap, c.causal);
          const args = { B: c.B, T: c.T, H: c.H, Hkv: c.Hkv, D: c.D, pastLen: c.pastLen, kvCap: c.kvCap, causal: c.causal };
          const f = both({ q, k: kk, v, o: new Float32Array(q.length), lse: new Float32Array(c.B * c.H * c.T) }, (k, p) => k.attention({ q: p.q!, k: p.k!, v: p.v!, o: p.o!, lse: p.lse!, ...args }));
          close(f.o!, want.o, 1e-5, 'o');
          close(f.lse!, want.lse, 1e-5, 'lse');
          const g = both({ q, k: kk, v, o: f.o!, lse: f.lse!, dO, dq: new Float32Array(q.length), dk: new Float32Array(kk.length), dv: new Float32Array(v.length) }, (k, p) =>
            k.attentionBackward({ q: p.q!, k: p.k!, v: p.v!, o: p.o!, lse: p.lse!, dO: p.dO!, dq: p.dq!, dk: p.dk!, dv: p.dv!, ...args }),
          );
          close(g.dq!, want.dq, 2e-5, 'dq');
          // Rows past S in the cache are not touched; the reference leaves them 0 too.
          close(g.dk!, want.dk, 2e-5, 'dk');
          close(g.dv!, want.dv, 2e-5, 'dv');
        });
      }
    });
  });
}

/** IEEE half bits of x, round to nearest even, computed exactly in f64. */
function refF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    const q = a / 2 ** -24;
    let r = Math.floor(q);
    const frac = q - r;
    if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
    return sign | r;
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const q = (a / 2 ** e - 1) * 1024;
  let mnt = Math.floor(q);
  const frac = q - mnt;
  if (frac > 0.5 || (frac === 0.5 && mnt % 2 === 1)) mnt++;
  if (mnt === 1024) {
    mnt = 0;
    e++;
  }
  return sign | ((e + 15) << 10) | mnt;
}

describe('runtime', () => {
  it('allocates 64-byte aligned blocks, reuses freed space, keeps the high-water mark flat', async () => {
    const rt = await createCpuRuntime({ threads: 1, initialBytes: 1 << 20 });
    try {
      const sizes = [1, 100, 4096, 64, 3000, 17, 1 << 16];
      const step = (): void => {
        const ps = sizes.map((s) => rt.alloc(s));
        for (const p of ps) assert.equal(p % 64, 0);
        for (const p of ps.reverse()) rt.free(p);
      };
      step();
      const hw = rt.stats().highWater;
      for (let i = 0; i < 100; i++) step();
      assert.equal(rt.stats().highWater, hw);
      assert.equal(rt.stats().inUse, 0);
      const p = rt.alloc(8);
      rt.free(p);
      assert.throws(() => rt.free(p), /not a live block/);
      // Growth past the initial memory: old contents survive, new views see the new size.
      const a = rt.alloc(16);
      rt.f32(a, 4).set([1, 2, 3, 4]);
      const big = rt.alloc(8 << 20);
      rt.f32(big, 2 << 20).fill(5);
      assert.deepEqual(Array.from(rt.f32(a, 4)), [1, 2, 3, 4]);
      assert.ok(rt.stats().memoryBytes >= 9 << 20);
      rt.free(big);
      rt.free(a);
    } finally {
      await rt.close();
    }
  });

  it('kernels on 3 threads see memory grown after the workers started', async () => {
    const rt = await createCpuRuntime({ threads: 3, initialBytes: 1 << 20 });
    try {
      const k = new CpuKernels(rt);
      const n = 4 << 20;
      const a = rt.alloc(4 * n);
      rt.f32(a, n).fill(2);
      k.scale(a, n, 1.5);
      const v = rt.f32(a, n);
      assert.equal(v[0], 3);
      assert.equal(v[n - 1], 3);
      rt.free(a);
    } finally {
      await rt.close();
    }
  });

  it('reports each kernel call to the profiler, and stops when it is removed', async () => {
    const rt = await createCpuRuntime({ threads: 2, initialBytes: 1 << 20 });
    const seen: string[] = [];
    try {
      const k = new CpuKernels(rt);
      const a = rt.alloc(4 * 100000);
      setKernelProfiler((name, ms) => {
        assert.ok(ms >= 0);
        seen.push(name);
      });
      k.fill(a, 100000, 1);
      k.scale(a, 10, 2);
      setKernelProfiler(null);
      k.fill(a, 10, 0);
      assert.deepEqual(seen, ['fill', 'scale']);
      rt.free(a);
    } finally {
      setKernelProfiler(null);
      await rt.close();
    }
    assert.throws(() => new CpuKernels(rt).fill(16, 1, 0), /closed/);
  });

  it('rejects a bad thread count', async () => {
    await assert.rejects(createCpuRuntime({ threads: 0 }), /thread count/);
  });
});
