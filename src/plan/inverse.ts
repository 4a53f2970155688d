// The inverse question: given dollars (--budget) and/or hours (--hours) on some GPUs,
// the largest compute-optimal model that trains in it. With D = r N tokens (r = tokens
// per parameter, 20 by Chinchilla) and C = 6 N D FLOPs, N = sqrt(C / (6 r)).

import { countParams, deriveArch, DEFAULT_CONTEXT, MAX_DEPTH, type ArchConfig, type Family } from './architecture.js';
import { findGpu, CHINCHILLA_TOKENS_PER_PARAM, type Precision } from './catalogue.js';
import { defaultMfu, peakTflops, recomputeFactor } from './compute.js';
import { checkNumber, type PlanInput } from './job.js';
import { UsageError } from '../util/errors.js';

export interface InverseResult {
  arch: ArchConfig;
  params: number;
  /** Tokens the proposed model trains on (r x params, or --tokens when given). */
  tokens: number;
  /** Compute-optimal size before rounding down to a buildable depth. */
  idealParams: number;
  hoursAvailable: number;
  limitedBy: 'budget' | 'hours';
  modelFlopsAvailable: number;
}

/**
 * Hours the budget and/or the hour limit allow on `gpus` GPUs at `price` per GPU-hour.
 * @example hoursAvailable(100, undefined, 3, 8) // { hours: 4.1667, limitedBy: 'budget' }
 */
export function hoursAvailable(budget: number | undefined, hours: number | undefined, price: number, gpus: number): { hours: number; limitedBy: 'budget' | 'hours' } {
  const byBudget = budget === undefined ? Infinity : price > 0 ? budget / (price * gpus) : Infinity;
  const byHours = hours ?? Infinity;
  if (!Number.isFinite(Math.min(byBudget, byHours))) {
    throw new UsageError('--budget needs a price above 0 per GPU-hour (or give --hours)');
  }
  return byBudget <= byHours ? { hours: byBudget, limitedBy: 'budget' } : { hours: byHours, limitedBy: 'hours' };
}

/** The largest depth-rule model (family, sequence length from the input) that the budget trains compute-optimally. */
export function largestModelForBudget(input: PlanInput): InverseResult {
  const mode = input.mode ?? 'pretrain';
  if (mode !== 'pretrain') throw new UsageError(`--budget / --hours without a model proposes a pretraining run; with --mode ${mode} give the model (--params, --depth or --config)`);
  const budget = input.budget === undefined ? undefined : checkNumber('--budget', input.budget, 0.01);
  const hours = input.hours === undefined ? undefined : checkNumber('--hours', input.hours, 1e-3);
  const gpu = findGpu(input.gpu ?? 'H100-SXM');
  const gpus = checkNumber('--gpus', input.gpus ?? 1, 1, 100_000, true);
  const precision: Precision = input.precision ?? (gpu.class === 'cpu' ? 'fp32' : 'bf16');
  const mfu = input.mfu === undefined ? defaultMfu(gpu, precision).mfu : checkNumber('--mfu', input.mfu, 0.001, 1);
  const price = input.price === undefined ? gpu.price.usdPerHour : checkNumber('--price', input.price, 0);
  const ratio = input.tokensPerParam === undefined ? CHINCHILLA_TOKENS_PER_PARAM.ratio : checkNumber('--tokens-per-param', input.tokensPerParam, 1e-6);
  const family: Family = input.family ?? 'llama';
  const ckpt = input.checkpointing ?? 'selective';

  const avail = hoursAvailable(budget, hours, price, gpus);
  const hardwareFlops = avail.hours * 3600 * gpus * peakTflops(gpu, precision) * 1e12 * mfu;
  const modelFlops = hardwareFlops / recomputeFactor('pretrain', ckpt);
  // With fixed tokens the model is the largest those tokens afford; otherwise N = sqrt(C / 6r).
  const idealParams = input.tokens !== undefined ? modelFlops / (6 * input.tokens) : Math.sqrt(modelFlops / (6 * ratio));
  const context = input.seqLen ? Math.max(input.seqLen, DEFAULT_CONTEXT[family]) : undefined;
  const shape = (d: number) => deriveArch(family, d, context ? { context } : {});
  let arch: ArchConfig | undefined;
  for (let d = 1; d <= MAX_DEPTH && countParams(shape(d)) <= idealParams; d++) arch = shape(d);
  if (!arch) {
    throw new UsageError(`the budget affords ${idealParams.toExponential(2)} parameters, less than the smallest model (depth 1: ${countParams(shape(1))} parameters); raise --budget or --hours`);
  }
  const params = countParams(arch);
  return {
    arch,
    params,
    tokens: input.tokens ?? ratio * params,
    idealParams,
    hoursAvailable: avail.hours,
    limitedBy: avail.limitedBy,
    modelFlopsAvailable: modelFlops,
  };
}
