// Training windows from a tokenized folder (TOKDIR, written by `anvil data tokenize`):
// meta.json plus train_*.bin / val_*.bin token shards. Windows of T+1 tokens are taken
// at random offsets or sequentially; the whole position (shard, offset, RNG) is a small
// JSON object so `--resume` continues with exactly the next batch.
//
// Shapes: B batch, T context (window length).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readShard, readShardHeader } from '../io/shards.js';
import { InputError } from '../util/errors.js';
import { Rng, type RngState } from '../model/rng.js';

/** One split in meta.json. */
export interface SplitMeta {
  shards: string[];
  tokens: number;
  bytes: number;
  documents?: number;
}

/** TOKDIR/meta.json. */
export interface TokenMeta {
  format: 'anvil-tokens';
  version: number;
  vocabSize: number;
  eotId: number;
  tokenizer?: string;
  splits: { train: SplitMeta; val?: SplitMeta };
}

/** Reads and checks TOKDIR/meta.json. */
export function readTokenMeta(dir: string): TokenMeta {
  const file = join(dir, 'meta.json');
  if (!existsSync(file)) throw new InputError('not a tokenized folder: meta.json is missing (run `anvil data tokenize`)', dir);
  let m: TokenMeta;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as TokenMeta;
  } catch (e) {
    throw new InputError(`invalid JSON: ${(e as Error).message}`, file);
  }
  if (m.format !== 'anvil-tokens') throw new InputError(`field "format" must be "anvil-tokens", got ${JSON.stringify(m.format)}`, file);
  if (!Number.isInteger(m.vocabSize) || m.vocabSize <= 0) throw new InputError('field "vocabSize" is missing or invalid', file);
  if (!m.splits?.train || !Array.isArray(m.splits.train.shards) || m.splits.train.shards.length === 0) {
    throw new InputError('field "splits.train.shards" is missing or empty', file);
  }
  for (const [name, split] of Object.entries(m.splits)) {
    if (!split) continue;
    if (!Array.isArray(split.shards)) throw new InputError(`field "splits.${name}.shards" is not a list`, file);
    for (const s of split.shards) {
      if (typeof s !== 'string' || s.includes('..')) throw new InputError(`field "splits.${name}.shards": ${JSON.stringify(s)} is not a shard file name`, file);
    }
  }
  return m;
}

/** Where a window stream stands; JSON-serializable, saved in trainer_state.json. */
export interface DataPosition {
  mode: 'random' | 'sequential';
  shard: number;
  offset: number;
  rng: RngState;
}

/** One batch: inputs and next-token targets, both (B, T) row-major. */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
}

/** The token shards of one split, loaded on first use and checked against meta.json. */
export class SplitTokens {
  readonly shards: { path: string; count: number }[];
  private cache = new Map<number, Uint16Array | Uint32Array>();

  constructor(readonly dir: string, split: SplitMeta, readonly vocabSize: number, readonly window: number) {
    // Headers first: a missing or truncated shard fails before any training starts.
    this.shards = split.shards.map((name) => {
      const path = join(dir, name);
      const h = readShardHeader(path);
      if (h.vocabSize !== vocabSize) throw new InputError(`shard vocabulary ${h.vocabSize} differs from meta.json's ${vocabSize}`, path);
      return { path, count: h.count };
    });
    if (!this.shards.some((s) => s.count > window)) {
      const most = Math.max(...this.shards.map((s) => s.count));
      throw new InputError(`no shard holds a full window of ${window + 1} tokens (largest has ${most}); use a smaller --context or more data`, dir);
    }
  }

  /** Total tokens in the split. */
  get tokens(): number {
    return this.shards.reduce((a, s) => a + s.count, 0);
  }

  /** The tokens of shard i. */
  shard(i: number): Uint16Array | Uint32Array {
    let t = this.cache.get(i);
    if (!t) {
      const { path } = this.shards[i]!;
      t = readShard(path).tokens;
      for (let j = 0; j < t.length; j++) {
        if (t[j]! >= this.vocabSize) throw new InputError(`token ${t[j]} at index ${j} is outside the vocabulary (${this.vocabSize})`, path);
      }
      this.cache.set(i, t);
    }
    return t;
  }
}

/** Produces batches of windows, random or sequential, with a resumable position. */
export class WindowStream {
  private rng: Rng;
  private shard: number;
  private offset: number;
  readonly mode: 'random' | 'sequential';

  constructor(readonly data: SplitTokens, opts: { mode: 'random' | 'sequential'; seed: number; position?: DataPosition }) {
    this.mode = opts.mode;
    const p = opts.position;
    this.rng = new Rng(p ? p.rng : opts.seed);
    this.shard = p?.shard ?? 0;
    this.offset = p?.offset ?? 0;
  }

  /** The position to save. */
  get position(): DataPosition {
    return { mode: this.mode, shard: this.shard, offset: this.offset, rng: this.rng.state };
  }

  /** The next B windows of T+1 tokens as (inputs, targets). */
  next(B: number): Batch {
    const T = this.data.window;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const [tokens, start] = this.mode === 'random' ? this.randomWindow() : this.sequentialWindow();
      for (let t = 0; t < T; t++) {
        inputs[b * T + t] = tokens[start + t]!;
        targets[b * T + t] = tokens[start + t + 1]!;
      }
    }
    return { inputs, targets };
  }

  private randomWindow(): [Uint16Array | Uint32Array, number] {
    const T = this.data.window;
    // Choose a shard in proportion to the windows it offers, then an offset in it.
    const spans = this.data.shards.map((s) => Math.max(0, s.count - T));
    const total = spans.reduce((a, b) => a + b, 0);
    let r = this.rng.int(total);
    let i = 0;
    while (r >= spans[i]!) r -= spans[i++]!;
    return [this.data.shard(i), r];
  }

  private sequentialWindow(): [Uint16Array | Uint32Array, number] {
    const T = this.data.window;
    for (;;) {
      if (this.shard >= this.data.shards.length) {
        this.shard = 0;
        this.offset = 0;
      }
      if (this.offset + T + 1 <= this.data.shards[this.shard]!.count) break;
      this.shard++;
      this.offset = 0;
    }
    const start = this.offset;
    this.offset += T;
    return [this.data.shard(this.shard), start];
  }
}

/**
 * The evaluation windows of a split: non-overlapping, in order, at most `maxWindows`
 * (all when undefined).
 */
export function evalWindows(data: SplitTokens, maxWindows?: number): { tokens: Uint16Array | Uint32Array; start: number }[] {
  const T = data.window;
  const out: { tokens: Uint16Array | Uint32Array; start: number }[] = [];
  for (let i = 0; i < data.shards.length; i++) {
    const n = data.shards[i]!.count;
    for (let start = 0; start + T + 1 <= n; start += T) {
      if (maxWindows !== undefined && out.length >= maxWindows) return out;
      out.push({ tokens: data.shard(i), start });
    }
  }
  return out;
}
