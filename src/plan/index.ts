// `plan(input)`: what a model costs. A pure function from a PlanInput (flags or a plan
// file) to a PlanResult: FLOPs, memory per GPU and whether it fits (with what would),
// GPU-hours, wall clock and money, the data it needs, and the people. With --budget or
// --hours and no model, it first proposes the largest compute-optimal model.

import type { ArchConfig } from './architecture.js';
import { dataPlan, type DataPlan } from './data.js';
import { hoursAvailable, largestModelForBudget } from './inverse.js';
import { checkNumber, evaluate, resolveJob, resolveModel, type Job, type PlanInput } from './job.js';
import { peoplePlan, type PeoplePlan } from './people.js';
import { fitSuggestions, headroomSuggestions } from './suggest.js';
import { formatCount, formatDuration } from '../util/units.js';

export type { PlanInput } from './job.js';

/** Largest memory the CPU backend's single WebAssembly memory can hold (wasm32). */
export const WASM32_LIMIT_BYTES = 4 * 2 ** 30;

export interface PlanResult {
  params: number;
  tokens: number;
  /** Model FLOPs, k N D (6ND for training). */
  flops: number;
  flopsWithAttention: number;
  gpuHours: number;
  wallClockHours: number;
  wallClockDays: number;
  costUsd: number;
  fits: boolean;
  /** GB = 1e9 bytes, per GPU. */
  memoryPerGpuGB: { weights: number; gradients: number; optimizer: number; activations: number; kvCache: number; total: number; usable: number };
  suggestions: string[];
  verdict: string;
  tokensPerSecond: { expected: number; perGpu: number; needed: number | null };
  model: Omit<ArchConfig, 'normEps' | 'ropeTheta'> & { source: Job['modelSource']; trainableParams: number; tokensPerParam: number };
  hardware: { gpu: string; name: string; gpus: number; peakTflops: number; memoryGB: number; mfu: number; mfuSource: string; pricePerGpuHour: number; priceSource: string };
  job: { mode: Job['mode']; seqLen: number; microBatch: number; precision: Job['precision']; checkpointing: Job['checkpointing']; zero: Job['zero']; loraRank: number | null };
  /** Serving only: dollars per million generated tokens. */
  costPerMillionTokens: number | null;
  data: DataPlan;
  people: PeoplePlan;
  /** Present with --budget / --hours. */
  budget: { budgetUsd: number | null; hours: number | null; hoursAvailable: number; limitedBy: 'budget' | 'hours'; withinBudget: boolean; proposed: boolean; idealParams: number | null } | null;
  notes: string[];
}

/**
 * Plans a run.
 * @example plan({ params: 1.3e9, gpu: 'A100', gpus: 8 }).wallClockHours
 */
export function plan(input: PlanInput): PlanResult {
  const wantsBudget = input.budget !== undefined || input.hours !== undefined;
  const hasModel = input.params !== undefined || input.depth !== undefined || input.hfConfig !== undefined;
  const inverse = wantsBudget && !hasModel ? largestModelForBudget(input) : undefined;
  const model = inverse ? { arch: inverse.arch, params: inverse.params, source: 'budget' as const } : resolveModel(input);
  const job = resolveJob(inverse ? { ...input, tokens: inverse.tokens } : input, model);
  const ev = evaluate(job);
  const c = ev.compute;

  let budget: PlanResult['budget'] = null;
  if (wantsBudget) {
    const b = input.budget === undefined ? undefined : checkNumber('--budget', input.budget, 0.01);
    const h = input.hours === undefined ? undefined : checkNumber('--hours', input.hours, 1e-3);
    const avail = inverse ? { hours: inverse.hoursAvailable, limitedBy: inverse.limitedBy } : hoursAvailable(b, h, job.price, job.gpus);
    budget = {
      budgetUsd: b ?? null,
      hours: h ?? null,
      hoursAvailable: avail.hours,
      limitedBy: avail.limitedBy,
      withinBudget: c.wallClockHours <= avail.hours * (1 + 1e-9),
      proposed: inverse !== undefined,
      idealParams: inverse?.idealParams ?? null,
    };
  }

  const suggestions = ev.fits ? headroomSuggestions(job) : fitSuggestions(job);
  const notes = planNotes(job, ev.memory.total, budget);
  const data = dataPlan(job.mode === 'inference' ? 0 : job.tokens, input.langs ?? { en: 1 });
  for (const l of data.languages) {
    if (job.mode === 'pretrain' && !l.openDataEnough) {
      notes.push(`no open ${l.name} dataset in the catalogue holds ${formatCount(l.tokens)} tokens; plan on several epochs or more sources`);
    }
  }
  const toGB = (x: number) => x / 1e9;
  const m = ev.memory;
  const { normEps: _e, ropeTheta: _r, ...shape } = job.arch;
  return {
    params: job.params,
    tokens: job.tokens,
    flops: c.flops,
    flopsWithAttention: c.flopsWithAttention,
    gpuHours: c.gpuHours,
    wallClockHours: c.wallClockHours,
    wallClockDays: c.wallClockHours / 24,
    costUsd: c.costUsd,
    fits: ev.fits,
    memoryPerGpuGB: {
      weights: toGB(m.weights), gradients: toGB(m.gradients), optimizer: toGB(m.optimizer), activations: toGB(m.activations),
      kvCache: toGB(m.kvCache), total: toGB(m.total), usable: toGB(ev.usableBytes),
    },
    suggestions,
    verdict: verdict(job, ev.fits, m.total, ev.usableBytes, c.wallClockHours, c.costUsd, suggestions, budget),
    tokensPerSecond: {
      expected: c.tokensPerSecond,
      perGpu: c.tokensPerSecondPerGpu,
      needed: budget ? job.tokens / (budget.hoursAvailable * 3600) : null,
    },
    model: { ...shape, source: job.modelSource, trainableParams: ev.trainable, tokensPerParam: job.tokensPerParam },
    hardware: {
      gpu: job.gpu.id, name: job.gpu.name, gpus: job.gpus, peakTflops: c.flops > 0 ? peakOf(job) : 0, memoryGB: job.gpu.memoryGB,
      mfu: job.mfu, mfuSource: job.mfuSource, pricePerGpuHour: job.price, priceSource: job.priceSource,
    },
    job: {
      mode: job.mode, seqLen: job.seqLen, microBatch: job.microBatch, precision: job.precision, checkpointing: job.checkpointing,
      zero: job.zero, loraRank: job.mode === 'lora' || job.mode === 'qlora' ? job.loraRank : null,
    },
    costPerMillionTokens: job.mode === 'inference' ? (c.costUsd / job.tokens) * 1e6 : null,
    data,
    people: peoplePlan(job.mode, c.flops),
    budget,
    notes,
  };
}

function peakOf(job: Job): number {
  return job.precision === 'fp32' ? job.gpu.peakTflops.fp32 : job.precision === 'fp8' ? job.gpu.peakTflops.fp8 ?? 0 : job.gpu.peakTflops.bf16;
}

function verdict(job: Job, fits: boolean, total: number, usable: number, hours: number, cost: number, suggestions: string[], budget: PlanResult['budget']): string {
  const where = `${job.gpus} x ${job.gpu.id}`;
  const mem = `${(total / 1e9).toFixed(1)} GB of ${(usable / 1e9).toFixed(1)} GB usable per GPU`;
  const over = budget && !budget.withinBudget
    ? `; ${formatDuration(hours * 3600)} is over the ${budget.limitedBy === 'budget' ? `$${budget.budgetUsd} budget` : `${budget.hours} h limit`} (${formatDuration(budget.hoursAvailable * 3600)} available)`
    : '';
  if (!fits) {
    const would = suggestions.length ? `; would fit: ${suggestions[0]}` : '; nothing in the catalogue fits it';
    return `does not fit on ${where}: ${mem}${would}${over}`;
  }
  return `fits on ${where} (${mem}); ${formatDuration(hours * 3600)}, $${cost < 100 ? cost.toFixed(2) : Math.round(cost).toLocaleString('en-US')}${over}`;
}

function planNotes(job: Job, total: number, budget: PlanResult['budget']): string[] {
  const notes: string[] = [];
  if (budget?.proposed) {
    notes.push(`proposed: the largest depth-rule ${job.arch.family} model that trains on ${job.tokensPerParam.toFixed(0)} tokens per parameter in ${formatDuration(budget.hoursAvailable * 3600)}`);
  }
  if (job.gpu.class === 'cpu' && total > WASM32_LIMIT_BYTES) {
    notes.push(`${(total / 1e9).toFixed(1)} GB exceeds the 4 GiB a WebAssembly (wasm32) memory can address: the cpu backend cannot hold it; the native backend can`);
  }
  if (job.gpus > 1 && job.mode !== 'inference') {
    notes.push(`anvil trains on one device; for ${job.gpus} GPUs continue from anvil's Hugging Face checkpoint with PyTorch FSDP / Accelerate${job.zero ? ` (ZeRO-${job.zero})` : ''}`);
  }
  if (job.mode === 'pretrain' && (job.tokensPerParam < 5 || job.tokensPerParam > 500)) {
    notes.push(`${job.tokensPerParam.toFixed(1)} tokens per parameter is far from the compute-optimal ~20 (Chinchilla)`);
  }
  if (job.mode === 'inference' && job.modelSource === 'params' && job.arch.kvHeads === job.arch.heads) {
    notes.push('the shape comes from the depth rule with full multi-head attention; grouped-query models (Llama 3, Mistral) keep a 4-8x smaller KV cache: pass --config config.json for the exact shape');
  }
  if (job.mode === 'qlora' || job.mode === 'lora') notes.push('LoRA/QLoRA FLOPs counted as 4ND: no weight gradients for the frozen base');
  return notes;
}
