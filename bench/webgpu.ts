// Benchmark of the webgpu backend (`npm run bench:webgpu`) on whatever adapter is present:
// matmul GFLOP/s (square sizes) and training tokens/s of a Transformer through the engine,
// for the tiled matmul and, where the adapter has `subgroups`, the subgroup matmul
// (ANVIL_WEBGPU_MATMUL=subgroup), beside the cpu backend measured in the same run (and, with --torch, PyTorch on the same
// machine: fp32 matmul with TF32 off and eager fp32 training of the same shape, from
// bench/webgpu_torch.py). Medians of repeated runs. `--json` prints one JSON object.
//
// Flags: --sizes 256,512 (matmul N for N^3), --model tiny|gpt2-124m, --batch B, --context T,
// --steps S (timed training steps after one warm-up step), --no-cpu, --no-subgroup (tiled
// only), --torch (PYTHON names the interpreter with torch; default /usr/bin/python3).
// Shapes: matmul C (N, N) = A (N, N) · B (N, N); training ids (B, T).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backendAvailable } from '../src/backend/index.js';
import { createWebGpuBackend } from '../src/backend/webgpu/index.js';
import type { TransformerConfig } from '../src/model/config.js';
import { Transformer } from '../src/model/transformer.js';
import { createEngine, Engine } from '../src/tensor/index.js';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const log = (s: string): void => {
  if (!json) process.stdout.write(`${s}\n`);
};

const MODELS: Record<string, TransformerConfig> = {
  tiny: { family: 'gpt2', vocabSize: 512, context: 64, layers: 2, heads: 4, kvHeads: 4, width: 128, hidden: 512, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true },
  'gpt2-124m': { family: 'gpt2', vocabSize: 50257, context: 1024, layers: 12, heads: 12, kvHeads: 12, width: 768, hidden: 3072, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median ms of fn over reps runs after one warm-up run. */
function time(fn: () => void, reps: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** Matmul GFLOP/s at n^3: `inner` products recorded back to back, then one read (the GPU finishes them all). */
function matmulGflops(e: Engine, n: number, reps: number): number {
  const a = e.tensor(Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [n, n]);
  const b = e.tensor(Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5), [n, n]);
  const inner = e.backendName === 'webgpu' ? Math.max(1, Math.min(20, Math.round(2 ** 30 / n ** 3))) : 1;
  const ms = time(() => {
    e.scope(() => {
      let c = e.matmul(a, b);
      for (let i = 1; i < inner; i++) c = e.matmul(a, b);
      return c.toArray()[0];
    });
  }, reps);
  a.dispose();
  b.dispose();
  return (2 * n ** 3 * inner) / (ms * 1e6);
}

/** Training tokens/s: AdamW steps of the model on fixed ids (one read of the loss per step). */
function trainTokensPerSecond(e: Engine, cfg: TransformerConfig, B: number, T: number, steps: number): { tokensPerSecond: number; loss: number } {
  const m = Transformer.init(e, cfg, 1);
  const params = m.parameters;
  const opt = e.adamwState(params);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 31 + 7) % cfg.vocabSize);
  const targets = Int32Array.from(ids, (v) => (v * 5 + 3) % cfg.vocabSize);
  let loss = 0;
  const step = (): void => {
    loss = e.scope(() => {
      const l = m.loss(ids, targets, B, T);
      l.backward();
      return l.item();
    });
    e.clipGradNorm(params, 1);
    e.adamw(params, opt, { lr: 1e-4, weightDecay: 0.1 });
    e.zeroGrad(params);
  };
  step();
  const ms = time(step, steps);
  for (const t of [...params, ...opt.m, ...opt.v]) t.dispose();
  return { tokensPerSecond: (B * T) / (ms / 1000), loss };
}

interface TorchFigures {
  device: string;
  matmul: Record<string, number>;
  train: { tokensPerSecond: number };
}

function runTorch(sizes: number[], model: string, B: number, T: number, steps: number): TorchFigures | { error: string } {
  const script = fileURLToPath(new URL('../../bench/webgpu_torch.py', import.meta.url));
  const r = spawnSync(process.env.PYTHON ?? '/usr/bin/python3', [script, '--sizes', sizes.join(','), '--model', model, '--batch', String(B), '--context', String(T), '--steps', String(steps)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'python3 failed').trim().split('\n').slice(-1)[0]! };
  return JSON.parse(r.stdout) as TorchFigures;
}

async function main(): Promise<void> {
  const backend = await createWebGpuBackend({ matmul: 'tiled' });
  const gpu = new Engine(backend);
  const withSubgroup = !argv.includes('--no-subgroup') && backend.adapter.features.includes('subgroups');
  const sgBackend = withSubgroup ? await createWebGpuBackend({ matmul: 'subgroup' }) : null;
  const sg = sgBackend ? new Engine(sgBackend) : null;
  const hw = backend.adapter.hardware;
  const sizes = (flag('--sizes') ?? (hw ? '1024,2048,4096' : '128,256')).split(',').map(Number);
  const modelName = flag('--model') ?? 'tiny';
  const cfg = MODELS[modelName];
  if (!cfg) throw new Error(`--model must be one of ${Object.keys(MODELS).join(', ')}`);
  const B = Number(flag('--batch') ?? 4);
  const T = Number(flag('--context') ?? cfg.context);
  const steps = Number(flag('--steps') ?? 3);
  const reps = hw ? 5 : 3;
  const withCpu = !argv.includes('--no-cpu') && (await backendAvailable('cpu')).ok;
  const cpu = withCpu ? await createEngine({ backend: 'cpu' }) : null;

  const a = backend.adapter;
  log(`adapter: ${a.vendor} ${a.architecture} ${a.description} (${hw ? 'hardware' : 'software'}); ` +
    `subgroup sizes ${a.subgroupMinSize ?? '-'}-${a.subgroupMaxSize ?? '-'}; kernels ${JSON.stringify(backend.tuning)}`);
  if (sgBackend) log(`subgroup variant: kernels ${JSON.stringify(sgBackend.tuning)}`);
  else log(`subgroup variant: not measured (${argv.includes('--no-subgroup') ? '--no-subgroup' : "the adapter has no 'subgroups' feature"})`);
  const matmul: { n: number; webgpuGflops: number; webgpuSubgroupGflops: number | null; cpuGflops: number | null }[] = [];
  for (const n of sizes) {
    const g = matmulGflops(gpu, n, reps);
    const s = sg ? matmulGflops(sg, n, reps) : null;
    const c = cpu && n <= 1024 ? matmulGflops(cpu, n, reps) : null;
    matmul.push({ n, webgpuGflops: g, webgpuSubgroupGflops: s, cpuGflops: c });
    log(`matmul ${n}^3: webgpu tiled ${g.toFixed(2)} GFLOP/s` +
      (s !== null ? `, webgpu subgroup ${s.toFixed(2)} GFLOP/s (subgroup / tiled ${(s / g).toFixed(2)})` : '') +
      (c ? `, cpu ${c.toFixed(2)} GFLOP/s, tiled / cpu ${(g / c).toFixed(2)}` : ''));
  }
  const trainCfg = { ...cfg, context: Math.max(cfg.context, T) };
  const train = trainTokensPerSecond(gpu, trainCfg, B, T, steps);
  const sgTrain = sg ? trainTokensPerSecond(sg, trainCfg, B, T, steps) : null;
  const cpuTrain = cpu && modelName === 'tiny' ? trainTokensPerSecond(cpu, cfg, B, T, steps) : null;
  log(`training ${modelName} B=${B} T=${T}: webgpu tiled ${train.tokensPerSecond.toFixed(1)} tokens/s` +
    (sgTrain ? `, webgpu subgroup ${sgTrain.tokensPerSecond.toFixed(1)} tokens/s (subgroup / tiled ${(sgTrain.tokensPerSecond / train.tokensPerSecond).toFixed(2)})` : '') +
    (cpuTrain ? `, cpu ${cpuTrain.tokensPerSecond.toFixed(1)} tokens/s, tiled / cpu ${(train.tokensPerSecond / cpuTrain.tokensPerSecond).toFixed(2)}` : ''));
  const torch = argv.includes('--torch') ? runTorch(sizes, modelName, B, T, steps) : null;
  if (torch && 'error' in torch) log(`torch reference failed: ${torch.error}`);
  else if (torch) {
    for (const m of matmul) {
      const t = torch.matmul[String(m.n)];
      if (t) {
        log(`matmul ${m.n}^3: webgpu tiled ${(m.webgpuGflops / 1000).toFixed(3)} TFLOP/s, torch fp32 (TF32 off, ${torch.device}) ${(t / 1000).toFixed(3)} TFLOP/s; tiled / torch ${(m.webgpuGflops / t).toFixed(3)}` +
          (m.webgpuSubgroupGflops !== null ? `; subgroup ${(m.webgpuSubgroupGflops / 1000).toFixed(3)} TFLOP/s, subgroup / torch ${(m.webgpuSubgroupGflops / t).toFixed(3)}` : ''));
      }
    }
    log(`training: torch eager fp32 (${torch.device}) ${torch.train.tokensPerSecond.toFixed(1)} tokens/s; tiled / torch ${(train.tokensPerSecond / torch.train.tokensPerSecond).toFixed(3)}` +
      (sgTrain ? `; subgroup / torch ${(sgTrain.tokensPerSecond / torch.train.tokensPerSecond).toFixed(3)}` : ''));
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({
      adapter: a, tuning: backend.tuning, subgroupTuning: sgBackend?.tuning ?? null, matmul,
      train: {
        model: modelName, batch: B, context: T, webgpuTokensPerSecond: train.tokensPerSecond,
        webgpuSubgroupTokensPerSecond: sgTrain?.tokensPerSecond ?? null, cpuTokensPerSecond: cpuTrain?.tokensPerSecond ?? null,
      },
      torch,
    })}\n`);
  }
  gpu.dispose();
  sg?.dispose();
  cpu?.dispose();
}

main().catch((err: Error) => {
  process.stderr.write(`bench webgpu: ${err.message}\n`);
  process.exitCode = 1;
});
