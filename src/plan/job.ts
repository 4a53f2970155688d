// A planning input with every default filled in (the "job"), and its evaluation:
// memory per GPU, whether it fits, FLOPs, time and cost. plan() in index.ts and the
// suggestion search both evaluate jobs through here.

import { archForParams, archFromHfConfig, countParams, DEFAULT_CONTEXT, deriveArch, FAMILIES, type ArchConfig, type Family } from './architecture.js';
import {
  CHINCHILLA_TOKENS_PER_PARAM, DEFAULT_FINETUNE_TOKENS, DEFAULT_LORA_RANK, PRECISIONS, TRAINING_PRECISIONS, findGpu,
  type Gpu, type Precision,
} from './catalogue.js';
import { compute, defaultMfu, peakTflops, type ComputeResult } from './compute.js';
import { CHECKPOINTING, MODES, memoryPerGpu, trainableParams, type Checkpointing, type MemoryBreakdown, type Mode, type ZeroStage } from './memory.js';
import { UsageError } from '../util/errors.js';

/** What a user may say; every field optional. Flags and plan files map onto this. */
export interface PlanInput {
  params?: number;
  family?: Family;
  depth?: number;
  /** A parsed Hugging Face config.json. */
  hfConfig?: Record<string, unknown>;
  tokens?: number;
  tokensPerParam?: number;
  /** Language shares, e.g. { en: 0.7, zh: 0.3 }. */
  langs?: Record<string, number>;
  gpu?: string;
  gpus?: number;
  mfu?: number;
  /** Dollars per GPU-hour. */
  price?: number;
  mode?: Mode;
  seqLen?: number;
  microBatch?: number;
  precision?: Precision;
  checkpointing?: Checkpointing;
  zero?: ZeroStage;
  /** Dollars available (inverse question when no model is given). */
  budget?: number;
  /** Wall-clock hours available (inverse question when no model is given). */
  hours?: number;
  loraRank?: number;
}

/** A fully specified job. */
export interface Job {
  arch: ArchConfig;
  params: number;
  modelSource: 'params' | 'depth' | 'config' | 'budget';
  tokens: number;
  tokensPerParam: number;
  mode: Mode;
  seqLen: number;
  microBatch: number;
  precision: Precision;
  checkpointing: Checkpointing;
  zero: ZeroStage;
  gpu: Gpu;
  gpus: number;
  mfu: number;
  mfuSource: string;
  price: number;
  priceSource: string;
  loraRank: number;
}

export interface Evaluation {
  memory: MemoryBreakdown;
  usableBytes: number;
  fits: boolean;
  trainable: number;
  compute: ComputeResult;
}

/** Checks a number is finite and within bounds; the message names the field. */
export function checkNumber(name: string, v: unknown, min: number, max = Infinity, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`${name}: ${JSON.stringify(v)} is not a number`);
  if (v < min || v > max) throw new UsageError(`${name}: ${v} is out of range; accepted: ${min} to ${max === Infinity ? 'any larger number' : max}`);
  if (integer && !Number.isInteger(v)) throw new UsageError(`${name}: ${v} must be a whole number`);
  return v;
}

function oneOf<T extends string | number>(name: string, v: T, accepted: readonly T[]): T {
  if (!accepted.includes(v)) throw new UsageError(`${name}: "${v}" is not accepted; accepted: ${accepted.join(', ')}`);
  return v;
}

/** The model's shape and parameter count from whichever of --config, --depth, --params was given. */
export function resolveModel(input: PlanInput): { arch: ArchConfig; params: number; source: Job['modelSource'] } {
  const given = [input.hfConfig && '--config', input.depth !== undefined && '--depth', input.params !== undefined && '--params'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`give the model one way: ${given.join(' or ')}, not both`);
  const family = oneOf('--family', input.family ?? 'llama', FAMILIES);
  const seq = input.seqLen;
  if (input.hfConfig) {
    const arch = archFromHfConfig(input.hfConfig);
    if (input.family && input.family !== arch.family) throw new UsageError(`--family ${input.family} contradicts the config's family ${arch.family}`);
    return { arch, params: countParams(arch), source: 'config' };
  }
  if (input.depth !== undefined) {
    const depth = checkNumber('--depth', input.depth, 1, 256, true);
    const arch = deriveArch(family, depth, seq ? { context: Math.max(seq, DEFAULT_CONTEXT[family]) } : {});
    return { arch, params: countParams(arch), source: 'depth' };
  }
  if (input.params !== undefined) {
    const params = checkNumber('--params', input.params, 1e5, 1e13);
    return { arch: archForParams(params, family, seq ? { context: Math.max(seq, DEFAULT_CONTEXT[family]) } : {}), params, source: 'params' };
  }
  throw new UsageError('no model given; use --params (e.g. 1.3B), --family and --depth, --config config.json, or --budget / --hours to have one proposed');
}

/** Fills every default of a job for a given model. */
export function resolveJob(input: PlanInput, model: { arch: ArchConfig; params: number; source: Job['modelSource'] }): Job {
  const mode = oneOf('--mode', input.mode ?? 'pretrain', MODES);
  const gpu = findGpu(input.gpu ?? 'H100-SXM');
  const gpus = checkNumber('--gpus', input.gpus ?? 1, 1, 100_000, true);
  const precision = oneOf('--precision', input.precision ?? (gpu.class === 'cpu' ? 'fp32' : 'bf16'), PRECISIONS);
  if (mode !== 'inference' && !TRAINING_PRECISIONS.includes(precision)) {
    throw new UsageError(`--precision ${precision} is for --mode inference; for training accepted: ${TRAINING_PRECISIONS.join(', ')} (QLoRA's 4-bit base is --mode qlora)`);
  }
  peakTflops(gpu, precision); // throws for fp8 on a GPU without FP8
  const seqLen = checkNumber('--seq-len', input.seqLen ?? Math.min(model.arch.context, 4096), 1, 10_000_000, true);
  if (seqLen > model.arch.context && (model.arch.family === 'gpt2' || model.source === 'config')) {
    throw new UsageError(`--seq-len ${seqLen} is longer than the model's context of ${model.arch.context}`);
  }
  const tpp = checkNumber('--tokens-per-param', input.tokensPerParam ?? CHINCHILLA_TOKENS_PER_PARAM.ratio, 1e-6);
  const defaultTokens = mode === 'pretrain' ? tpp * model.params : mode === 'inference' ? 1e6 : DEFAULT_FINETUNE_TOKENS.tokens;
  const tokens = checkNumber('--tokens', input.tokens ?? defaultTokens, 1);
  const mfuDefault = defaultMfu(gpu, precision);
  const mfu = input.mfu === undefined ? mfuDefault.mfu : checkNumber('--mfu', input.mfu, 0.001, 1);
  const price = input.price === undefined ? gpu.price.usdPerHour : checkNumber('--price', input.price, 0);
  const zero = oneOf('--zero', input.zero ?? 0, [0, 1, 2, 3] as const);
  return {
    arch: model.arch,
    params: model.params,
    modelSource: model.source,
    tokens,
    tokensPerParam: tokens / model.params,
    mode,
    seqLen,
    microBatch: checkNumber('--micro-batch', input.microBatch ?? 1, 1, 1_000_000, true),
    precision,
    checkpointing: oneOf('--checkpointing', input.checkpointing ?? (mode === 'lora' || mode === 'qlora' ? 'full' : 'selective'), CHECKPOINTING),
    zero,
    gpu,
    gpus,
    mfu,
    mfuSource: input.mfu === undefined ? mfuDefault.source : 'given (--mfu)',
    price,
    priceSource: input.price === undefined ? `${gpu.price.source}, ${gpu.price.date}` : 'given (--price)',
    loraRank: checkNumber('--lora-rank', input.loraRank ?? DEFAULT_LORA_RANK.rank, 1, 65536, true),
  };
}

/** Memory, fit, FLOPs, time and cost of a job. */
export function evaluate(job: Job): Evaluation {
  const memInput = { ...job };
  const memory = memoryPerGpu(memInput);
  const usableBytes = job.gpu.memoryGB * 1e9 * job.gpu.usableFraction;
  return {
    memory,
    usableBytes,
    fits: memory.total <= usableBytes,
    trainable: trainableParams(memInput),
    compute: compute({ ...job, pricePerGpuHour: job.price }),
  };
}
