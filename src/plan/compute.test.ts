// The planner against published training runs (shared/reference/compute-figures.md):
// GPU-hours at the MFU each run implies, the same runs at the catalogue's default MFU,
// and GPT-3's and Chinchilla's FLOPs.

import test from 'node:test';
import assert from 'node:assert/strict';
import { findGpu } from './catalogue.js';
import { impliedMfu, peakTflops } from './compute.js';
import { plan } from './index.js';

interface Run {
  name: string;
  params: number;
  tokens: number;
  gpu: string;
  gpus: number;
  gpuHours: number;
  /** The MFU compute-figures.md lists for the run (6ND over GPU-hours x dense BF16 peak). */
  mfu: number;
  /** Published wall clock in hours, where the source gives one. */
  hours?: number;
}

const RUNS: Run[] = [
  { name: 'LLaMA-1 7B', params: 6.7e9, tokens: 1e12, gpu: 'A100-80GB', gpus: 2048, gpuHours: 82_432, mfu: 0.43 },
  { name: 'LLaMA-1 13B', params: 13e9, tokens: 1e12, gpu: 'A100-80GB', gpus: 2048, gpuHours: 135_168, mfu: 0.51 },
  { name: 'LLaMA-1 33B', params: 32.5e9, tokens: 1.4e12, gpu: 'A100-80GB', gpus: 2048, gpuHours: 530_432, mfu: 0.46 },
  { name: 'LLaMA-1 65B', params: 65.2e9, tokens: 1.4e12, gpu: 'A100-80GB', gpus: 2048, gpuHours: 1_022_362, mfu: 0.48, hours: 21 * 24 },
  { name: 'Llama 2 7B', params: 6.7e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 2048, gpuHours: 184_320, mfu: 0.39 },
  { name: 'Llama 2 13B', params: 13e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 2048, gpuHours: 368_640, mfu: 0.38 },
  { name: 'Llama 2 70B', params: 69e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 2048, gpuHours: 1_720_320, mfu: 0.43 },
  { name: 'Pythia 160M', params: 160e6, tokens: 300e9, gpu: 'A100-40GB', gpus: 8, gpuHours: 1_030, mfu: 0.25 },
  { name: 'Pythia 1B', params: 1e9, tokens: 300e9, gpu: 'A100-40GB', gpus: 64, gpuHours: 4_830, mfu: 0.34 },
  { name: 'Pythia 6.9B', params: 6.9e9, tokens: 300e9, gpu: 'A100-40GB', gpus: 128, gpuHours: 33_500, mfu: 0.33 },
  { name: 'Pythia 12B', params: 12e9, tokens: 300e9, gpu: 'A100-40GB', gpus: 256, gpuHours: 72_300, mfu: 0.26 },
  { name: 'TinyLlama 1.1B', params: 1.1e9, tokens: 3e12, gpu: 'A100-40GB', gpus: 16, gpuHours: 34_560, mfu: 0.51, hours: 90 * 24 },
  { name: 'MPT-7B', params: 6.7e9, tokens: 1e12, gpu: 'A100-40GB', gpus: 440, gpuHours: 100_320, mfu: 0.36, hours: 9.5 * 24 },
  { name: 'llm.c GPT-2 124M', params: 124e6, tokens: 10e9, gpu: 'A100-80GB', gpus: 8, gpuHours: (94 / 60) * 8, mfu: 0.53, hours: 94 / 60 },
  { name: 'llm.c GPT-2 350M', params: 350e6, tokens: 31.5e9, gpu: 'A100-80GB', gpus: 8, gpuHours: 13.7 * 8, mfu: 0.54, hours: 13.7 },
  { name: 'llm.c GPT-2 774M', params: 774e6, tokens: 150e9, gpu: 'A100-80GB', gpus: 8, gpuHours: 135 * 8, mfu: 0.57, hours: 135 },
  { name: 'llm.c GPT-2 1.5B', params: 1.56e9, tokens: 32e9, gpu: 'H100', gpus: 8, gpuHours: 24 * 8, mfu: 0.44, hours: 24 },
  { name: 'nanochat d32', params: 1.9e9, tokens: 38e9, gpu: 'H100', gpus: 8, gpuHours: 33 * 8, mfu: 0.46, hours: 33 },
  { name: 'nanochat d34', params: 2.2e9, tokens: 88e9, gpu: 'H100', gpus: 8, gpuHours: 100 * 8, mfu: 0.41, hours: 100 },
];

const rel = (a: number, b: number) => Math.abs(a / b - 1);

test('GPU-hours of published runs at the MFU each run implies: within 5% (the MFUs are rounded to whole percents)', () => {
  for (const r of RUNS) {
    const p = plan({ params: r.params, tokens: r.tokens, gpu: r.gpu, gpus: r.gpus, mfu: r.mfu });
    assert.ok(rel(p.gpuHours, r.gpuHours) < 0.05, `${r.name}: planned ${p.gpuHours.toFixed(0)} GPU-h, published ${r.gpuHours}`);
    if (r.hours) assert.ok(rel(p.wallClockHours, r.hours) < 0.06, `${r.name}: planned ${p.wallClockHours.toFixed(1)} h, published ${r.hours}`);
  }
});

test('the MFU each published run implies matches the reference table and lies in the 25-57% band', () => {
  for (const r of RUNS) {
    const implied = impliedMfu(6 * r.params * r.tokens, r.gpuHours, peakTflops(findGpu(r.gpu), 'bf16'));
    assert.ok(Math.abs(implied - r.mfu) < 0.011, `${r.name}: implied ${implied.toFixed(3)} vs listed ${r.mfu}`);
    assert.ok(implied >= 0.245 && implied <= 0.575, `${r.name}: ${implied}`);
  }
});

test("at the catalogue's default MFU (40% on A100/H100) every published run is within -40%/+65%, and the median within 15%", () => {
  const ratios = RUNS.map((r) => plan({ params: r.params, tokens: r.tokens, gpu: r.gpu, gpus: r.gpus }).gpuHours / r.gpuHours);
  for (const [i, x] of ratios.entries()) assert.ok(x > 0.6 && x < 1.65, `${RUNS[i]!.name}: ${x.toFixed(2)}`);
  const median = ratios.slice().sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  assert.ok(rel(median, 1) < 0.15, `median ratio ${median}`);
});

test('GPT-3: 175B parameters on 300B tokens is 3.14e23 FLOPs (6ND); Chinchilla 70B x 1.4T is 5.9e23', () => {
  assert.ok(rel(plan({ params: 175e9, tokens: 300e9 }).flops, 3.14e23) < 0.01);
  assert.equal(plan({ params: 70e9, tokens: 1.4e12 }).flops.toPrecision(2), '5.9e+23');
});

test('nanochat speedrun: 4.33e19 FLOPs in 3.04 h on 8 x H100 is 50% MFU; DeepSeek-style $2/h pricing', () => {
  assert.equal(impliedMfu(4.33e19, 3.04 * 8, peakTflops(findGpu('H100'), 'bf16')).toFixed(2), '0.50');
  const p = plan({ params: 1e9, tokens: 20e9, gpu: 'H100', gpus: 8, price: 2 });
  assert.ok(rel(p.costUsd, p.gpuHours * 2) < 1e-12);
});

test('LoRA counts 4ND, full checkpointing adds a forward pass, FP8 runs on the FP8 peak', () => {
  const base = { params: 7e9, tokens: 1e9, gpu: 'H100', mfu: 0.4 } as const;
  const full = plan({ ...base, mode: 'full-finetune' });
  const lora = plan({ ...base, mode: 'lora', checkpointing: 'none' });
  assert.equal(lora.flops / full.flops, 4 / 6);
  assert.ok(rel(lora.gpuHours / full.gpuHours, 4 / 6) < 1e-9);
  const recompute = plan({ ...base, mode: 'full-finetune', checkpointing: 'full' });
  assert.ok(rel(recompute.gpuHours / full.gpuHours, 8 / 6) < 1e-9);
  const fp8 = plan({ ...base, mode: 'full-finetune', precision: 'fp8', mfu: 0.2 });
  assert.ok(rel(fp8.gpuHours, full.gpuHours * (989 * 0.4) / (1979 * 0.2)) < 1e-9);
});

test('serving: decode at batch 1 is bound by memory bandwidth (llama.cpp 8B F16 on a 4090: ~55 tok/s)', () => {
  const p = plan({ params: 8e9, mode: 'inference', gpu: '4090', seqLen: 512 });
  // 16 GB of bf16 weights + a short cache fit in 24 GB; each token reads them all once
  assert.ok(p.fits);
  assert.ok(p.tokensPerSecond.expected > 40 && p.tokensPerSecond.expected < 60, `${p.tokensPerSecond.expected}`);
  assert.ok(p.costPerMillionTokens !== null && p.costPerMillionTokens > 0);
});
