// Benchmark of the cpu backend (`npm run bench:engine`): the machine's WebAssembly SIMD peak,
// matmul GFLOP/s on 1 thread and all threads beside the plain TypeScript reference and numpy
// (OpenBLAS, when /usr/bin/python3 has it), and one Transformer block's forward+backward time
// through the engine against the sum of its kernels. Medians of repeated runs, all measured
// in this one run. `--json` prints one JSON object.
//
// Shapes: matmul is C (M, N) = A (M, K) · B (K, N). Block: B batch, T time, C channels,
// H heads, D head dim.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CpuKernels } from '../src/backend/cpu/kernels.js';
import { createCpuRuntime, setKernelProfiler, type CpuRuntime } from '../src/backend/cpu/runtime.js';
import { createRefBackend } from '../src/backend/ref/index.js';
import { createEngine } from '../src/tensor/index.js';

const json = process.argv.includes('--json');
const log = (s: string): void => {
  if (!json) process.stdout.write(`${s}\n`);
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/**
 * Median wall time (ms) of fn over `reps` runs after `warm` warm-up runs (past Liftoff), and
 * the median CPU time of this process (ms; all threads) per run, which other programs' load
 * on the machine does not inflate.
 */
function timeBoth(fn: () => void, reps: number, warm = 2): { wall: number; cpu: number } {
  // Warm up for at least `warm` calls and 150 ms: wasm starts in the baseline compiler
  // (Liftoff, about half speed) and the optimized code arrives from a background thread.
  const w0 = performance.now();
  for (let i = 0; i < warm || performance.now() - w0 < 150; i++) fn();
  const ts: number[] = [];
  const cs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cs.push((c.user + c.system) / 1000);
  }
  return { wall: median(ts), cpu: median(cs) };
}

function timeIt(fn: () => void, reps: number, warm = 2): number {
  return timeBoth(fn, reps, warm).wall;
}

function fillRandom(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
}

// ---- peak ----

/** Peak GFLOP/s by wall time, and (1 thread) per CPU-second. */
function measurePeak(k: CpuKernels, threads: number): { wall: number; cpu: number } {
  const iters = 4_000_000;
  const t = timeBoth(() => k.peak(iters, threads), 11, 2);
  const flops = 96 * iters * threads;
  return { wall: flops / t.wall / 1e6, cpu: flops / t.cpu / 1e6 };
}

// ---- matmul ----

interface Shape {
  m: number;
  n: number;
  k: number;
  label: string;
}

const SHAPES: Shape[] = [
  { m: 256, n: 256, k: 256, label: '256³' },
  { m: 512, n: 512, k: 512, label: '512³' },
  { m: 1024, n: 1024, k: 1024, label: '1024³' },
  { m: 2048, n: 2048, k: 2048, label: '2048³' },
  // A small GPT layer (C = 128..384, 256..768 tokens per step): projections and MLP.
  { m: 768, n: 384, k: 128, label: 'gpt 768×128·128×384' },
  { m: 512, n: 1152, k: 384, label: 'gpt qkv 512×384·384×1152' },
  { m: 512, n: 1536, k: 384, label: 'gpt fc 512×384·384×1536' },
  { m: 512, n: 384, k: 1536, label: 'gpt proj 512×1536·1536×384' },
];

function matmulGflops(k: CpuKernels, rt: CpuRuntime, s: Shape): { wall: number; cpu: number } {
  const a = rt.alloc(4 * s.m * s.k);
  const b = rt.alloc(4 * s.k * s.n);
  const c = rt.alloc(4 * s.m * s.n);
  fillRandom(rt.f32(a, s.m * s.k), 1);
  fillRandom(rt.f32(b, s.k * s.n), 2);
  const flops = 2 * s.m * s.n * s.k;
  const reps = Math.max(5, Math.min(31, Math.floor(4e9 / flops)));
  const t = timeBoth(() => k.matmul({ a, b, c, m: s.m, n: s.n, k: s.k }), reps, 3);
  rt.free(a);
  rt.free(b);
  rt.free(c);
  return { wall: flops / t.wall / 1e6, cpu: flops / t.cpu / 1e6 };
}

function refGflops(s: Shape): number | null {
  const flops = 2 * s.m * s.n * s.k;
  if (flops > 3e8) return null; // the reference runs ~1 GFLOP/s: larger shapes take too long
  const be = createRefBackend();
  const a = be.alloc('f32', s.m * s.k);
  const b = be.alloc('f32', s.k * s.n);
  const c = be.alloc('f32', s.m * s.n);
  const fa = new Float32Array(s.m * s.k);
  const fb = new Float32Array(s.k * s.n);
  fillRandom(fa, 1);
  fillRandom(fb, 2);
  be.write(a, 'f32', fa);
  be.write(b, 'f32', fb);
  const ms = timeIt(() => be.kernels.matmul({ a, b, c, batch: 1, m: s.m, n: s.n, k: s.k, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false }), 3, 1);
  be.dispose();
  return flops / ms / 1e6;
}

/** numpy GFLOP/s per shape for `threads` OpenBLAS threads, or null without numpy. */
function numpyGflops(shapes: Shape[], threads: number): Record<string, number> | null {
  if (!existsSync('/usr/bin/python3')) return null;
  const script = fileURLToPath(new URL('../../bench/numpy_matmul.py', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  // Machine-wide OpenBLAS tuning variables of this workplace would mis-tune Debian's build.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('/usr/bin/python3', [script, JSON.stringify(shapes.map((s) => [s.m, s.n, s.k]))], { env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as Record<string, number>;
  } catch {
    return null;
  }
}

// ---- one Transformer block (GPT-2 style) through the engine ----

interface BlockResult {
  B: number;
  T: number;
  C: number;
  H: number;
  threads: number;
  /** Mean over the timed runs (kernel times are means over the same runs). */
  stepMs: number;
  stepMsMedian: number;
  kernelMs: number;
  kernels: { name: string; ms: number; calls: number }[];
}

async function benchBlock(threads: number): Promise<BlockResult> {
  const [B, T, C, H] = [4, 128, 256, 4];
  const D = C / H;
  const e = await createEngine({ backend: 'cpu', threads });
  const rnd = (n: number, scale: number, seed: number): Float32Array => {
    const a = new Float32Array(n);
    fillRandom(a, seed);
    return a.map((v) => v * scale);
  };
  const p = {
    ln1w: e.param(1, [C], 'ln_1.weight'),
    ln1b: e.param(0, [C], 'ln_1.bias'),
    wqkv: e.param(rnd(C * 3 * C, 0.05, 3), [C, 3 * C], 'attn.c_attn.weight'),
    bqkv: e.param(0, [3 * C], 'attn.c_attn.bias'),
    wo: e.param(rnd(C * C, 0.05, 4), [C, C], 'attn.c_proj.weight'),
    bo: e.param(0, [C], 'attn.c_proj.bias'),
    ln2w: e.param(1, [C], 'ln_2.weight'),
    ln2b: e.param(0, [C], 'ln_2.bias'),
    wfc: e.param(rnd(C * 4 * C, 0.05, 5), [C, 4 * C], 'mlp.c_fc.weight'),
    bfc: e.param(0, [4 * C], 'mlp.c_fc.bias'),
    wproj: e.param(rnd(4 * C * C, 0.05, 6), [4 * C, C], 'mlp.c_proj.weight'),
    bproj: e.param(0, [C], 'mlp.c_proj.bias'),
  };
  const x = e.tensor(rnd(B * T * C, 1, 7), [B, T, C]);
  const step = (): void => {
    e.scope(() => {
      const h = e.layerNorm(x, p.ln1w, p.ln1b);
      const qkv = e.add(e.matmul(h, p.wqkv), p.bqkv);
      const q = e.reshape(e.slice(qkv, 0, C), [B, T, H, D]);
      const k = e.reshape(e.slice(qkv, C, 2 * C), [B, T, H, D]);
      const v = e.reshape(e.slice(qkv, 2 * C, 3 * C), [B, T, H, D]);
      const a = e.reshape(e.attention(q, k, v), [B, T, C]);
      const y = e.add(e.matmul(a, p.wo), p.bo);
      const [s, h2] = e.addLayerNorm(x, y, p.ln2w, p.ln2b);
      const f = e.biasGelu(e.matmul(h2, p.wfc), p.bfc);
      const out = e.add(s, e.add(e.matmul(f, p.wproj), p.bproj));
      const loss = e.mean(e.reshape(e.mul(out, out), [B * T * C]));
      loss.backward();
      return loss.item();
    });
  };
  for (let i = 0; i < 3; i++) step();
  const byName = new Map<string, { ms: number; calls: number }>();
  const reps = 9;
  setKernelProfiler((name, ms) => {
    const r = byName.get(name) ?? { ms: 0, calls: 0 };
    r.ms += ms;
    r.calls++;
    byName.set(name, r);
  });
  const ts: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      step();
      ts.push(performance.now() - t0);
    }
  } finally {
    setKernelProfiler(null);
  }
  e.dispose();
  // Means over the same runs on both sides, so step and kernel time compare.
  const kernels = [...byName].map(([name, r]) => ({ name, ms: r.ms / reps, calls: r.calls / reps })).sort((a, b) => b.ms - a.ms);
  return { B, T, C, H, threads, stepMs: ts.reduce((a, b) => a + b, 0) / reps, stepMsMedian: median(ts), kernelMs: kernels.reduce((s, k) => s + k.ms, 0), kernels };
}

// ---- main ----

async function main(): Promise<void> {
  const N = process.env.ANVIL_THREADS ? Number(process.env.ANVIL_THREADS) : availableParallelism();
  const load0 = loadavg()[0]!;
  const rt1 = await createCpuRuntime({ threads: 1 });
  const rtN = await createCpuRuntime({ threads: N });
  const k1 = new CpuKernels(rt1);
  const kN = new CpuKernels(rtN);
  log(`anvil cpu backend benchmark: ${N} threads, ${rt1.relaxed ? 'relaxed SIMD (FMA)' : 'plain SIMD'} build, load average ${load0.toFixed(2)}`);

  const p1 = measurePeak(k1, 1);
  const pN = measurePeak(kN, N);
  const peak1 = p1.wall;
  const peakN = pN.wall;
  log(`WebAssembly SIMD peak (register-only multiply-add): 1 thread ${peak1.toFixed(1)} GFLOP/s, ${N} threads ${peakN.toFixed(1)} GFLOP/s`);
  log(`  (1 thread per CPU-second, undistorted by other load: ${p1.cpu.toFixed(1)} GFLOP/s)`);

  const np1 = numpyGflops(SHAPES, 1);
  const npN = numpyGflops(SHAPES, N);
  if (!np1) log('numpy: not available (/usr/bin/python3 with numpy), ratios to numpy omitted');

  const rows: { m: number; n: number; k: number; threads: number; gflops: number; ratioToPeak: number; ratioToNumpy: number | null; ratioToRef: number | null; gflopsPerCpuSecond: number | null; label: string }[] = [];
  log('');
  log('matmul GFLOP/s (median)                 thr   GFLOP/s  /peak  ×ref    /numpy  scaling  per-CPU-s /peak1');
  for (const s of SHAPES) {
    const ref = refGflops(s);
    const g1 = matmulGflops(k1, rt1, s);
    const gN = matmulGflops(kN, rtN, s);
    const key = `${s.m},${s.n},${s.k}`;
    for (const [threads, g, peak, np] of [[1, g1, peak1, np1], [N, gN, peakN, npN]] as const) {
      const npg = np?.[key];
      // Per CPU-second of all threads (a thread waiting at the barrier spins briefly, then
      // sleeps): what the kernel does with the CPU time it gets, whatever else runs.
      const cpu = g.cpu;
      const row = { m: s.m, n: s.n, k: s.k, threads, gflops: g.wall, ratioToPeak: g.wall / peak, ratioToNumpy: npg ? g.wall / npg : null, ratioToRef: ref ? g.wall / ref : null, gflopsPerCpuSecond: cpu, label: s.label };
      rows.push(row);
      log(
        `${s.label.padEnd(38)} ${String(threads).padStart(4)} ${g.wall.toFixed(1).padStart(8)} ${row.ratioToPeak.toFixed(2).padStart(6)} ${(row.ratioToRef ? row.ratioToRef.toFixed(0) + '×' : '-').padStart(6)} ${(row.ratioToNumpy ? row.ratioToNumpy.toFixed(2) : '-').padStart(8)}  ${(threads === N ? (gN.wall / g1.wall).toFixed(2) + '×' : '').padStart(7)}  ${cpu.toFixed(1).padStart(9)}${(cpu / p1.cpu).toFixed(2).padStart(6)}`,
      );
    }
    if (ref) log(`${''.padEnd(38)}  ref ${ref.toFixed(2).padStart(8)}`);
    if (npg(np1, key) !== null) log(`${''.padEnd(38)} numpy ${npg(np1, key)!.toFixed(1)} (1 thr) ${npg(npN, key)?.toFixed(1) ?? '-'} (${N} thr)`);
  }
  await rt1.close();
  await rtN.close();
  const at = (label: string, t: number): (typeof rows)[number] => rows.find((r) => r.label === label && r.threads === t)!;
  const gpt = rows.filter((r) => r.label.startsWith('gpt') && r.threads === N);
  const targets = {
    matmul1024RatioToPeakN: at('1024³', N).ratioToPeak,
    gptMinRatioToPeakN: Math.min(...gpt.map((r) => r.ratioToPeak)),
    scaling1024: at('1024³', N).gflops / at('1024³', 1).gflops,
    scaling2048: at('2048³', N).gflops / at('2048³', 1).gflops,
  };
  log('');
  log(`targets: 1024³ on ${N} threads ${targets.matmul1024RatioToPeakN.toFixed(2)} of peak (target 0.6); small-GPT shapes at least ${targets.gptMinRatioToPeakN.toFixed(2)} (target 0.4); 1 -> ${N} threads ${targets.scaling1024.toFixed(2)}× at 1024³, ${targets.scaling2048.toFixed(2)}× at 2048³ (target 1.8×)`);

  const block = await benchBlock(N);
  log('');
  log(`Transformer block (GPT-2 style, B=${block.B} T=${block.T} C=${block.C} H=${block.H}) forward+backward on ${block.threads} threads:`);
  log(`  step ${block.stepMs.toFixed(2)} ms mean (${block.stepMsMedian.toFixed(2)} median); kernels ${block.kernelMs.toFixed(2)} ms (${((100 * block.kernelMs) / block.stepMs).toFixed(0)}%); engine and JavaScript ${(block.stepMs - block.kernelMs).toFixed(2)} ms`);
  for (const kk of block.kernels) log(`  ${kk.name.padEnd(22)} ${kk.ms.toFixed(3).padStart(8)} ms  ${kk.calls.toFixed(0).padStart(4)} calls`);
  const load1 = loadavg()[0]!;
  log('');
  log(`load average at start ${load0.toFixed(2)}, at end ${load1.toFixed(2)} (${availableParallelism()} cores)`);

  // The native backend's rows (bench/engine-native.ts) in the same run: its table is printed
  // after this one, or its object becomes `native` of this one.
  const nativeBench = fileURLToPath(new URL('./engine-native.js', import.meta.url));
  let native: unknown = null;
  if (existsSync(nativeBench)) {
    log('');
    const r = spawnSync(process.execPath, [nativeBench, ...(json ? ['--json'] : [])], { encoding: 'utf8', stdio: json ? 'pipe' : 'inherit', timeout: 600_000 });
    if (json) native = r.status === 0 ? JSON.parse(r.stdout) : { error: `engine-native exited ${r.status}: ${r.stderr.slice(-300)}` };
  }

  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        backend: 'cpu',
        native,
        threads: N,
        build: rt1.relaxed ? 'relaxed-simd' : 'simd',
        loadAverage: { start: load0, end: load1 },
        peakGflops: { '1': peak1, N: peakN },
        peakGflopsPerCpuSecond: { '1': p1.cpu },
        matmul: rows,
        numpy: np1 ? { '1': np1, N: npN } : null,
        targets,
        block,
      })}\n`,
    );
  }
}

function npg(np: Record<string, number> | null, key: string): number | null {
  return np?.[key] ?? null;
}

await main();
