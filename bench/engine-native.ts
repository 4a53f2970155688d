// Native rows of the engine benchmark (`npm run bench:engine-native`): matmul GFLOP/s of the
// native addon on every instruction-set path this processor has (AVX-512, AVX2+FMA, scalar),
// in fp32 and bf16, on 1 thread and all threads, beside numpy's matmul (OpenBLAS) measured in
// the same run, each shape right after numpy's. The widest path runs in this process with
// every shape; the others (chosen when the addon loads) in child processes on a sample.
// Medians of repeated runs. `--json` prints one object.
//
// Shapes: C (M, N) = A (M, K) · B (K, N).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNative, MATMUL_FLAGS, type NativeAddon } from '../src/backend/native/addon.js';

interface Shape {
  m: number;
  n: number;
  k: number;
}

interface Row {
  backend: 'native';
  isa: string;
  dtype: 'f32' | 'bf16';
  m: number;
  n: number;
  k: number;
  threads: number;
  gflops: number;
  ratioToNumpy: number | null;
}

const SHAPES: Shape[] = [
  { m: 256, n: 256, k: 256 },
  { m: 512, n: 512, k: 512 },
  { m: 1024, n: 1024, k: 1024 },
  { m: 2048, n: 2048, k: 2048 },
  { m: 768, n: 384, k: 128 }, // a small GPT layer: (T*B=768, C=128) · (128, 3C=384)
];
const BF16_SHAPES: Shape[] = [SHAPES[2]!, SHAPES[3]!];
const key = (s: Shape): string => `${s.m},${s.n},${s.k}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function fillRandom(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
}

/** Median GFLOP/s of one matmul shape; repeats sized to about half a second. */
function gflops(n: NativeAddon, s: Shape, threads: number, bf16: boolean): number {
  n.setThreads(threads);
  const a = new Float32Array(n.alloc(4 * s.m * s.k));
  const b = new Float32Array(n.alloc(4 * s.k * s.n));
  const c = n.alloc(4 * s.m * s.n);
  fillRandom(a, 1);
  fillRandom(b, 2);
  const flags = bf16 ? MATMUL_FLAGS.bf16 : 0;
  const run = (): void => n.matmul(a.buffer, b.buffer, c, 1, s.m, s.n, s.k, 0, 0, 0, flags);
  const flops = 2 * s.m * s.n * s.k;
  run();
  const t0 = performance.now();
  run();
  const once = Math.max(performance.now() - t0, 0.01);
  const reps = Math.max(3, Math.min(50, Math.floor(500 / once)));
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    run();
    ts.push(performance.now() - t);
  }
  n.free(a.buffer as ArrayBuffer);
  n.free(b.buffer as ArrayBuffer);
  n.free(c);
  return flops / median(ts) / 1e6;
}

/** Child mode: measure this process's ISA path and print its rows as JSON. */
function child(): void {
  const { addon: n, reason } = loadNative();
  if (!n) {
    process.stdout.write(JSON.stringify({ error: reason }));
    return;
  }
  const info = n.info();
  const all = info.hardwareThreads;
  const rows: Omit<Row, 'ratioToNumpy'>[] = [];
  const threadCounts = all > 1 ? [1, all] : [1];
  // The narrower paths (run as children) measure a sample of the shapes, in fp32.
  for (const s of [SHAPES[2]!, SHAPES[4]!])
    for (const t of threadCounts)
      rows.push({ backend: 'native', isa: info.isa, dtype: 'f32', ...s, threads: t, gflops: gflops(n, s, t, false) });
  process.stdout.write(JSON.stringify({ isa: info.isa, bf16Dot: info.bf16Dot, rows }));
}

/** numpy GFLOP/s per shape for `threads` OpenBLAS threads, or null without numpy. */
function numpyGflops(shapes: Shape[], threads: number): Record<string, number> | null {
  const script = fileURLToPath(new URL('../../bench/numpy_matmul.py', import.meta.url));
  if (!existsSync('/usr/bin/python3') || !existsSync(script)) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  // This workplace's machine-wide OpenBLAS tuning variables would mis-tune Debian's build.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('/usr/bin/python3', [script, JSON.stringify(shapes.map((s) => [s.m, s.n, s.k]))], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as Record<string, number>;
  } catch {
    return null;
  }
}

function main(): void {
  const json = process.argv.includes('--json');
  const log = (s: string): void => {
    if (!json) process.stdout.write(`${s}\n`);
  };
  const { addon, reason } = loadNative();
  if (!addon) {
    if (json) process.stdout.write(`${JSON.stringify({ native: null, reason })}\n`);
    else log(`native backend: not available (${reason}); no native rows`);
    return;
  }
  const info = addon.info();
  const all = info.hardwareThreads;
  const threadCounts = all > 1 ? [1, all] : [1];
  // The default (widest) path is measured here, each shape right after numpy's run of it, so
  // that the ratio is taken under the same machine load; the other paths run in children.
  const np: Record<number, Record<string, number>> = { 1: {}, [all]: {} };
  let hasNumpy = true;
  const paths: { isa: string; bf16Dot?: boolean; rows?: Omit<Row, 'ratioToNumpy'>[]; error?: string }[] = [];
  const own: Omit<Row, 'ratioToNumpy'>[] = [];
  for (const s of SHAPES)
    for (const t of threadCounts) {
      const ref = hasNumpy ? numpyGflops([s], t) : null;
      if (ref) np[t]![key(s)] = ref[key(s)]!;
      else hasNumpy = false;
      own.push({ backend: 'native', isa: info.isa, dtype: 'f32', ...s, threads: t, gflops: gflops(addon, s, t, false) });
    }
  for (const s of BF16_SHAPES)
    for (const t of threadCounts)
      own.push({ backend: 'native', isa: info.isa, dtype: 'bf16', ...s, threads: t, gflops: gflops(addon, s, t, true) });
  if (!hasNumpy) log('numpy: not available (/usr/bin/python3 with numpy), ratios to numpy omitted');
  const self = fileURLToPath(import.meta.url);
  for (const isa of ['avx512', 'avx2', 'scalar']) {
    if (isa === info.isa) {
      paths.push({ isa, bf16Dot: info.bf16Dot, rows: own });
      continue;
    }
    const r = spawnSync(process.execPath, [self, '--child'], {
      env: { ...process.env, ANVIL_NATIVE_ISA: isa },
      encoding: 'utf8',
      timeout: 600_000,
    });
    try {
      paths.push({ isa, ...(JSON.parse(r.stdout) as object) });
    } catch {
      paths.push({ isa, error: r.stderr.trim().split('\n')[0] ?? `exit ${r.status}` });
    }
  }
  const rows: Row[] = [];
  log('native matmul GFLOP/s (median)   isa      dtype  thr   GFLOP/s   numpy fp32   ×numpy');
  for (const p of paths) {
    if (!p.rows) {
      log(`  ${p.isa}: not measured (${p.error})`);
      continue;
    }
    for (const r of p.rows) {
      const ref = np[r.threads]?.[key(r)] ?? null;
      const row: Row = { ...r, ratioToNumpy: ref ? r.gflops / ref : null };
      rows.push(row);
      log(
        `  ${`${r.m}x${r.k} · ${r.k}x${r.n}`.padEnd(30)} ${r.isa.padEnd(8)} ${r.dtype.padEnd(6)} ${String(r.threads).padStart(3)}` +
          `  ${r.gflops.toFixed(1).padStart(8)}  ${ref ? ref.toFixed(1).padStart(10) : '         -'}  ${row.ratioToNumpy ? row.ratioToNumpy.toFixed(2).padStart(6) : '     -'}`,
      );
    }
  }
  log(
    info.bf16Dot
      ? 'bf16 rows on avx512 use vdpbf16ps (AVX512-BF16); no AMX on this processor. Other paths round operands to bf16 and multiply in f32.'
      : 'bf16 rows round operands to bf16 and multiply in f32 (no AVX512-BF16 or AMX here).',
  );
  if (json) process.stdout.write(`${JSON.stringify({ native: { paths: paths.map((p) => p.isa), rows }, numpy: hasNumpy ? np : null })}\n`);
}

if (process.argv.includes('--child')) child();
else main();
