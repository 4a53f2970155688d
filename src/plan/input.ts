// Turns flag values or a JSON/YAML plan file (same keys as the flags: `params: 1.3B`,
// `gpu: H100`, `seq-len: 2048`, ...) into a PlanInput. Flag mistakes are UsageErrors
// ("--gpus: ..."); plan-file mistakes are InputErrors naming the file and the field.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FAMILIES, type Family } from './architecture.js';
import { PRECISIONS, findGpu, type Precision } from './catalogue.js';
import { normaliseMix, parseLanguageMix } from './data.js';
import type { PlanInput } from './job.js';
import { CHECKPOINTING, MODES, type Checkpointing, type Mode, type ZeroStage } from './memory.js';
import { AnvilError, InputError, UsageError } from '../util/errors.js';
import { parseCount } from '../util/units.js';

/** Every key a plan file (or the flags) may use. */
export const PLAN_KEYS = [
  'params', 'family', 'depth', 'config', 'tokens', 'tokens-per-param', 'langs', 'lang-mix', 'gpu', 'gpus', 'mfu', 'price',
  'mode', 'seq-len', 'micro-batch', 'precision', 'checkpointing', 'zero', 'budget', 'hours', 'lora-rank',
] as const;
export type PlanKey = (typeof PLAN_KEYS)[number];

const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Where values came from: flags (no file) or a plan file, for error messages and relative paths. */
export interface Origin {
  file?: string;
}

function numberOf(key: string, v: unknown, opts: { min?: number; max?: number; integer?: boolean; count?: boolean } = {}): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && opts.count) n = parseCount(v, key);
  else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) n = Number(v);
  else throw new UsageError(`"${String(v)}" is not a number${opts.count ? '; use a number with an optional K, M, B or T suffix (e.g. 1.3B, 26B, 500M)' : ''}`);
  if (!Number.isFinite(n)) throw new UsageError(`"${String(v)}" is not a number`);
  const min = opts.min ?? -Infinity;
  if (n < min || (opts.count && n <= 0)) {
    throw new UsageError(`${n} must be ${opts.count ? 'a positive count (e.g. 1.3B)' : `at least ${min}`}`);
  }
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`${n} is out of range; accepted: ${min} to ${opts.max}`);
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`${n} must be a whole number`);
  return n;
}

function choice<T extends string>(v: unknown, accepted: readonly T[]): T {
  const s = String(v).trim().toLowerCase();
  if (!(accepted as readonly string[]).includes(s)) throw new UsageError(`"${String(v)}" is not accepted; accepted: ${accepted.join(', ')}`);
  return s as T;
}

function langsOf(v: unknown): Record<string, number> {
  if (typeof v === 'string') return parseLanguageMix(v, 'langs');
  if (Array.isArray(v)) return parseLanguageMix(v.map(String).join(','), 'langs');
  if (v && typeof v === 'object') {
    const mix: Record<string, number> = {};
    for (const [k, w] of Object.entries(v)) mix[k] = numberOf(k, w, { min: 0 });
    return normaliseMix(mix);
  }
  throw new UsageError(`"${String(v)}" is not a language list; use e.g. en,zh or en=0.7,zh=0.3`);
}

/** Reads and parses a Hugging Face config.json. */
export function readHfConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the model config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path);
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, path);
  }
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new InputError('a config.json must hold one JSON object', path);
  return cfg as Record<string, unknown>;
}

/** Converts one key's value; errors are UsageErrors without the key (the caller adds it). */
function field(input: PlanInput, key: PlanKey, v: unknown, origin: Origin): void {
  switch (key) {
    case 'params': input.params = numberOf(key, v, { count: true }); return;
    case 'tokens': input.tokens = numberOf(key, v, { count: true }); return;
    case 'family': input.family = choice<Family>(v, FAMILIES); return;
    case 'depth': input.depth = numberOf(key, v, { min: 1, max: 256, integer: true }); return;
    case 'config': {
      const path = origin.file ? resolve(dirname(origin.file), String(v)) : String(v);
      input.hfConfig = readHfConfig(path);
      return;
    }
    case 'tokens-per-param': input.tokensPerParam = numberOf(key, v, { min: 1e-6 }); return;
    case 'langs':
    case 'lang-mix': input.langs = langsOf(v); return;
    case 'gpu': input.gpu = findGpu(String(v)).id; return;
    case 'gpus': input.gpus = numberOf(key, v, { min: 1, integer: true }); return;
    case 'mfu': {
      const m = numberOf(key, v, { min: 0.001, max: 100 });
      input.mfu = m > 1 ? m / 100 : m; // "40" means 40%
      return;
    }
    case 'price': input.price = numberOf(key, String(v).replace(/^\$/, ''), { min: 0 }); return;
    case 'mode': input.mode = choice<Mode>(v, MODES); return;
    case 'seq-len': input.seqLen = numberOf(key, v, { count: true, integer: true }); return;
    case 'micro-batch': input.microBatch = numberOf(key, v, { min: 1, integer: true }); return;
    case 'precision': input.precision = choice<Precision>(v, PRECISIONS); return;
    case 'checkpointing': input.checkpointing = choice<Checkpointing>(v, CHECKPOINTING); return;
    case 'zero': {
      const z = String(v).trim().toLowerCase();
      input.zero = (z === 'fsdp' ? 3 : Number(choice(z, ['0', '1', '2', '3', 'fsdp']))) as ZeroStage;
      return;
    }
    case 'budget': input.budget = numberOf(key, String(v).replace(/^\$/, ''), { min: 0.01 }); return;
    case 'hours': input.hours = numberOf(key, v, { min: 0.001 }); return;
    case 'lora-rank': input.loraRank = numberOf(key, v, { min: 1, integer: true }); return;
  }
}

/**
 * Builds a PlanInput from key/value pairs (flag values or a parsed plan file). Keys may
 * be written as the flags (`seq-len`) or in camelCase (`seqLen`).
 */
export function planInputFromValues(values: Record<string, unknown>, origin: Origin = {}): PlanInput {
  const input: PlanInput = {};
  for (const [rawKey, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const key = PLAN_KEYS.find((k) => k === rawKey || camel(k) === rawKey);
    if (!key) {
      const msg = `unknown field "${rawKey}"; accepted: ${PLAN_KEYS.join(', ')}`;
      throw origin.file ? new InputError(msg, origin.file) : new UsageError(msg);
    }
    try {
      field(input, key, v, origin);
    } catch (e) {
      if (!(e instanceof AnvilError)) throw e;
      if (e instanceof InputError) {
        // a file the field points to (config.json) is broken: name both
        if (origin.file) throw new InputError(`field "${key}": ${e.message}`, origin.file);
        throw e;
      }
      const reason = e.message.replace(/^[\w-]+: /, '');
      if (origin.file) throw new InputError(`field "${key}": ${reason}`, origin.file);
      throw new UsageError(`--${key}: ${reason}`);
    }
  }
  return input;
}

/**
 * Reads a JSON or YAML plan file with the same keys as the flags.
 * @example readPlanFile('plan.yaml') // { params: 1.3e9, gpu: 'H100', gpus: 8 }
 */
export function readPlanFile(path: string): PlanInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the plan file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path);
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const line = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new InputError(`not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, path, line);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new InputError('a plan file must hold one mapping of keys (params, gpu, gpus, ...)', path);
  return planInputFromValues(doc as Record<string, unknown>, { file: path });
}
