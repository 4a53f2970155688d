// BPE training: count pre-token pieces over the inputs (streamed, in worker threads),
// then learn merges (merge-learner.ts) up to the vocabulary size, then add special tokens.

import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { InputError, UsageError } from '../util/errors.js';
import { countPieces } from './count.js';
import { listInputFiles, readTextBatches } from './inputs.js';
import { learnMerges } from './merge-learner.js';
import { PATTERNS, scanner, type PatternName } from './pretokenize.js';
import { CHATML_TEMPLATE, Tokenizer } from './tokenizer.js';

/** Default special tokens of anvil's own tokenizers; the first is the end of text. */
export const DEFAULT_SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|pad|>'];

/** Training progress: bytes read while counting, then merges learned. */
export type TrainProgress =
  | { phase: 'count'; bytes: number; totalBytes: number }
  | { phase: 'merge'; merges: number; target: number; count: number };

/** Options of trainTokenizer. */
export interface TrainOptions {
  /** Text files, JSONL files (a "text" field, .gz allowed) or folders (a prepared folder's docs/). */
  inputs: string[];
  /** Final vocabulary size, special tokens included. */
  vocabSize: number;
  /** Stop merging when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Special tokens (default DEFAULT_SPECIALS); the first is the end-of-text token. */
  specialTokens?: string[];
  /** Pre-tokenization pattern (default gpt4). */
  pattern?: PatternName;
  /** Threads counting pieces (default: available cores, at most 8). */
  threads?: number;
  onProgress?: (p: TrainProgress) => void;
}

/** Counts pieces of all inputs, using worker threads when threads > 1. */
export async function countInputs(files: string[], pattern: PatternName, threads: number, onBytes?: (n: number) => void): Promise<Map<string, number>> {
  if (threads <= 1) {
    const counts = new Map<string, number>();
    const split = scanner(pattern);
    for await (const batch of readTextBatches(files, 1 << 20, onBytes)) countPieces(split, batch, counts);
    return counts;
  }
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./count-worker.js', import.meta.url), { workerData: { pattern, regex: PATTERNS[pattern] } }));
  const inFlight = new Array<number>(threads).fill(0);
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  workers.forEach((w, k) => {
    w.on('message', (m: { type: string }) => {
      if (m.type === 'ack') {
        inFlight[k]!--;
        wake?.();
      }
    });
    w.on('error', (e) => {
      failure = e;
      wake?.();
    });
  });
  try {
    for await (const batch of readTextBatches(files, 1 << 20, onBytes)) {
      for (;;) {
        if (failure) throw failure;
        const k = inFlight.indexOf(Math.min(...inFlight));
        if (inFlight[k]! < 2) {
          inFlight[k]!++;
          workers[k]!.postMessage({ type: 'texts', texts: batch });
          break;
        }
        await new Promise<void>((r) => (wake = r));
      }
    }
    const parts = await Promise.all(
      workers.map(
        (w) =>
          new Promise<{ keys: string[]; values: Float64Array }>((resolve, reject) => {
            w.on('message', (m: { type: string; keys: string[]; values: Float64Array }) => m.type === 'counts' && resolve(m));
            w.on('error', reject);
            w.postMessage({ type: 'done' });
          }),
      ),
    );
    if (failure) throw failure;
    // merge the smaller maps into the largest
    parts.sort((x, y) => y.keys.length - x.keys.length);
    const counts = new Map<string, number>();
    for (const { keys, values } of parts) for (let i = 0; i < keys.length; i++) counts.set(keys[i]!, (counts.get(keys[i]!) ?? 0) + values[i]!);
    return counts;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Trains a byte-level BPE tokenizer on the inputs. */
export async function trainTokenizer(opts: TrainOptions): Promise<Tokenizer> {
  const specials = opts.specialTokens ?? DEFAULT_SPECIALS;
  const pattern = opts.pattern ?? 'gpt4';
  if (!(pattern in PATTERNS)) throw new UsageError(`unknown pattern "${pattern}"; use gpt2, gpt4 or cjk`);
  if (new Set(specials).size !== specials.length || specials.some((s) => s.length === 0)) throw new UsageError('special tokens must be distinct and non-empty');
  const minVocab = 256 + specials.length;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < minVocab) {
    throw new UsageError(`vocabulary size ${opts.vocabSize} is too small: it must be at least ${minVocab} (256 bytes + ${specials.length} special tokens)`);
  }
  const minFrequency = opts.minFrequency ?? 2;
  if (!(minFrequency >= 1)) throw new UsageError(`minimum pair frequency must be at least 1, got ${minFrequency}`);
  const files = listInputFiles(opts.inputs);
  if (files.length === 0) throw new UsageError(`no input files found in ${opts.inputs.join(', ')}`);
  const totalBytes = files.reduce((s, f) => s + statSync(f).size, 0);
  const threads = Math.max(1, Math.min(opts.threads ?? Math.min(availableParallelism(), 8), 64));
  let bytes = 0;
  const counts = await countInputs(files, pattern, totalBytes < 4 << 20 ? 1 : threads, (n) => {
    bytes += n;
    opts.onProgress?.({ phase: 'count', bytes, totalBytes });
  });
  if (counts.size === 0) throw new InputError(`the corpus is empty: no text in ${files.join(', ')}`);
  const { tokens, merges } = learnMerges(counts, opts.vocabSize - minVocab, minFrequency, (p) => opts.onProgress?.({ phase: 'merge', ...p }));
  return Tokenizer.fromParts(tokens, merges, specials, pattern, {
    eosToken: specials[0],
    padToken: specials.includes('<|pad|>') ? '<|pad|>' : undefined,
    chatTemplate: specials.includes('<|im_start|>') && specials.includes('<|im_end|>') ? CHATML_TEMPLATE : undefined,
  });
}
