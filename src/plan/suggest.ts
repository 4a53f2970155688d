// What would fit when a job does not: every alternative is evaluated with the same
// memory model before it is proposed, so a suggestion is a plan, not a guess.

import { archForParams, countParams } from './architecture.js';
import { GPUS } from './catalogue.js';
import { evaluate, type Job } from './job.js';
import { formatCount } from '../util/units.js';

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/** Smallest value in [lo, hi] for which ok() holds, assuming ok is monotone; undefined if none. */
function smallest(lo: number, hi: number, ok: (n: number) => boolean): number | undefined {
  if (!ok(hi)) return undefined;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Changes that make a job that does not fit, fit; each names its memory per GPU. */
export function fitSuggestions(job: Job): string[] {
  const out: string[] = [];
  const per = (j: Job) => gb(evaluate(j).memory.total);
  const training = job.mode !== 'inference';

  if (training) {
    if (job.gpus > 1 && job.zero < 3) {
      const j = { ...job, zero: 3 as const };
      if (evaluate(j).fits) out.push(`ZeRO-3 / FSDP over the same ${job.gpus} x ${job.gpu.id}: ${per(j)} per GPU (--zero 3)`);
    }
    const n = smallest(job.gpus + 1, 65536, (g) => evaluate({ ...job, gpus: g, zero: 3 }).fits);
    if (n !== undefined) out.push(`ZeRO-3 / FSDP over ${n} x ${job.gpu.id}: ${per({ ...job, gpus: n, zero: 3 })} per GPU (--gpus ${n} --zero 3)`);
    if (job.checkpointing !== 'full') {
      const j = { ...job, checkpointing: 'full' as const };
      if (evaluate(j).fits) out.push(`full activation checkpointing: ${per(j)} per GPU, ~1/3 more compute (--checkpointing full)`);
    }
    if (job.mode === 'full-finetune') {
      for (const mode of ['lora', 'qlora'] as const) {
        const j: Job = { ...job, mode, checkpointing: 'full' };
        if (evaluate(j).fits) out.push(`${mode === 'lora' ? 'LoRA' : 'QLoRA'} (rank ${job.loraRank}): ${per(j)} per GPU (--mode ${mode})`);
      }
    } else if (job.mode === 'lora') {
      const j: Job = { ...job, mode: 'qlora' };
      if (evaluate(j).fits) out.push(`QLoRA, a 4-bit base: ${per(j)} per GPU (--mode qlora)`);
    }
  } else {
    for (const precision of ['int8', 'int4'] as const) {
      const j = { ...job, precision };
      if (job.precision !== precision && evaluate(j).fits) out.push(`${precision} weights: ${per(j)} per GPU (--precision ${precision})`);
    }
    const n = smallest(job.gpus + 1, 4096, (g) => evaluate({ ...job, gpus: g }).fits);
    if (n !== undefined) out.push(`split over ${n} x ${job.gpu.id}: ${per({ ...job, gpus: n })} per GPU (--gpus ${n})`);
  }
  if (job.microBatch > 1) {
    const b = largestFitting(1, job.microBatch - 1, (m) => evaluate({ ...job, microBatch: m }).fits);
    if (b !== undefined) out.push(`micro-batch ${b}: ${per({ ...job, microBatch: b })} per GPU (--micro-batch ${b})`);
  }
  for (let s = job.seqLen >> 1; s >= 128; s >>= 1) {
    const j = { ...job, seqLen: s };
    if (evaluate(j).fits) {
      out.push(`sequences of ${s} tokens: ${per(j)} per GPU (--seq-len ${s})`);
      break;
    }
  }
  const bigger = GPUS.filter((g) => g.memoryGB > job.gpu.memoryGB && g.class !== 'cpu' && (job.precision !== 'fp8' || g.peakTflops.fp8 !== undefined))
    .sort((a, b) => a.memoryGB - b.memoryGB || a.price.usdPerHour - b.price.usdPerHour)
    .find((g) => evaluate({ ...job, gpu: g }).fits);
  if (bigger) out.push(`a GPU with more memory: ${job.gpus} x ${bigger.id} (${bigger.memoryGB} GB): ${per({ ...job, gpu: bigger })} per GPU (--gpu ${bigger.id})`);
  const smaller = largestModel(job);
  if (smaller) out.push(`a smaller model: up to ${formatCount(smaller.params)} parameters (depth ${smaller.arch.layers}) fits: ${per(smaller)} per GPU (--params ${formatCount(smaller.params)})`);
  return out;
}

/** Largest value in [lo, hi] for which ok() holds, assuming ok is monotone decreasing. */
function largestFitting(lo: number, hi: number, ok: (n: number) => boolean): number | undefined {
  if (!ok(lo)) return undefined;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The largest depth-rule model of the job's family that fits with everything else unchanged. */
function largestModel(job: Job): Job | undefined {
  const at = (params: number): Job => {
    const arch = archForParams(params, job.arch.family, { context: job.arch.context, vocabSize: job.arch.vocabSize });
    const p = countParams(arch);
    return { ...job, arch, params: p, modelSource: 'params', tokens: job.mode === 'pretrain' ? job.tokensPerParam * p : job.tokens };
  };
  let best: Job | undefined;
  // Depths grow params monotonically; scan sizes by 10% steps downwards, keep the first that fits.
  for (let p = job.params * 0.9; p >= 1e6; p *= 0.9) {
    const j = at(p);
    if (j.params >= job.params) continue;
    if (evaluate(j).fits) {
      best = j;
      break;
    }
  }
  return best;
}

/** For a job that fits: the largest micro-batch (up to 64) that still fits, a throughput hint. */
export function headroomSuggestions(job: Job): string[] {
  if (job.mode === 'inference') {
    const b = largestFitting(job.microBatch, 4096, (m) => evaluate({ ...job, microBatch: m }).fits);
    return b !== undefined && b > job.microBatch ? [`up to ${b} concurrent sequences of ${job.seqLen} tokens fit (--micro-batch ${b})`] : [];
  }
  const b = largestFitting(job.microBatch, 64, (m) => evaluate({ ...job, microBatch: m }).fits);
  return b !== undefined && b > job.microBatch ? [`memory to spare: up to --micro-batch ${b} fits, which raises throughput toward the assumed MFU`] : [];
}
