// The training loop: token shards in, a Hugging Face model folder out. Gradient
// accumulation, global-norm clipping, AdamW without decay on norms, biases and
// embeddings, warmup + cosine/linear decay, evaluation (loss and bits per byte) every N
// steps, atomic checkpoints every N steps and when asked to stop, and `resume` that
// continues bit-identically (weights, optimizer moments, step, data position).
//
// Shapes: B batch (sequences per micro-step), T context, A gradient-accumulation steps.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../tensor/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { writeModelFolder } from '../io/model-folder.js';
import { readSafetensorsFolder, type NamedTensor } from '../io/safetensors.js';
import { countParams, deriveArch, flopsPerToken, type ArchConfig, type Family } from '../plan/architecture.js';
import { InputError, UsageError } from '../util/errors.js';
import { fromArch, sameShapes, toArch, type TransformerConfig } from '../model/config.js';
import { decays, Transformer } from '../model/transformer.js';
import { latestCheckpoint, readOptimizer, readTrainerState, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { evalWindows, readTokenMeta, SplitTokens, WindowStream, type TokenMeta } from './data.js';
import { MetricsWriter, readMetrics, type MetricsLine } from './metrics.js';
import { lossCurveSvg, reportMarkdown } from './report.js';
import { runCosts } from './cost.js';
import { learningRate, type Schedule } from './schedule.js';
import { TRAIN_DEFAULTS } from './defaults.js';

/** Everything `anvil train` can set. */
export interface TrainOptions {
  data: string;
  out: string;
  /** Model family and depth; on resume, given only to check them against the checkpoint. */
  family?: Family;
  depth?: number;
  /** Explicit shape fields (layers, heads, kvHeads, width, context) over the depth rule. */
  overrides: Partial<ArchConfig>;
  batch: number;
  gradAccum: number;
  steps: number;
  lr: number;
  minLr: number;
  warmup: number;
  decay: Schedule['decay'];
  weightDecay: number;
  beta1: number;
  beta2: number;
  clip: number;
  evalEvery: number;
  /** Validation windows per evaluation (all when undefined). */
  evalWindows?: number;
  saveEvery: number;
  keep: number;
  seed: number;
  windows: 'random' | 'sequential';
  resume: boolean;
}

/** Defaults for the optional settings (nanoGPT-like; in defaults.ts, which the CLI's help reads). */
export { TRAIN_DEFAULTS };

/** One evaluation result. */
export interface EvalResult {
  valLoss: number;
  /** Bits per byte of the validation text (from meta.json's byte count). */
  valBpb: number;
  tokens: number;
}

/** Callbacks the CLI uses for progress and interruption. */
export interface TrainHooks {
  onStart?(info: { config: TransformerConfig; params: number; flopsPerToken: number; startStep: number; resumedFrom?: string }): void;
  onStep?(m: MetricsLine, steps: number): void;
  onEval?(step: number, r: EvalResult): void;
  onCheckpoint?(dir: string): void;
  /** Polled after every step: true saves a checkpoint and returns (SIGINT/SIGTERM). */
  shouldStop?(): boolean;
}

/** What a run produced. */
export interface TrainResult {
  config: TransformerConfig;
  steps: number;
  interrupted: boolean;
  tokensSeen: number;
  seconds: number;
  finalLoss?: number;
  lastEval?: EvalResult;
  out: string;
  checkpoint?: string;
  report?: string;
  params: number;
}

/** The model config a run builds: depth rule and overrides, vocabulary from the data. */
export function modelConfigFor(opts: Pick<TrainOptions, 'family' | 'depth' | 'overrides'>, vocabSize: number): TransformerConfig {
  return fromArch(deriveArch(opts.family ?? TRAIN_DEFAULTS.family, opts.depth ?? TRAIN_DEFAULTS.depth, { ...opts.overrides, vocabSize }));
}

/** Mean loss and bits per byte over the validation windows. */
export function evaluate(model: Transformer, split: SplitTokens, splitBytes: number, batch: number, maxWindows?: number): EvalResult {
  const { e } = model;
  const T = split.window;
  const windows = evalWindows(split, maxWindows);
  let nats = 0;
  let tokens = 0;
  for (let i = 0; i < windows.length; i += batch) {
    const group = windows.slice(i, i + batch);
    const B = group.length;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    group.forEach((w, b) => {
      for (let t = 0; t < T; t++) {
        inputs[b * T + t] = w.tokens[w.start + t]!;
        targets[b * T + t] = w.tokens[w.start + t + 1]!;
      }
    });
    const l = e.noGrad(() => e.scope(() => model.loss(inputs, targets, B, T).item()));
    nats += l * B * T;
    tokens += B * T;
  }
  const valLoss = nats / tokens;
  // Bits per byte: loss in bits per token × tokens per byte of the split's text.
  const valBpb = splitBytes > 0 ? (valLoss / Math.LN2) * (split.tokens / splitBytes) : NaN;
  return { valLoss, valBpb, tokens };
}

function optimizerTensors(model: Transformer, opt: { m: { toArray(): Float32Array }[]; v: { toArray(): Float32Array }[] }): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  let i = 0;
  for (const [name, p] of model.params) {
    out.set(`exp_avg.${name}`, { shape: [...p.shape], data: opt.m[i]!.toArray() });
    out.set(`exp_avg_sq.${name}`, { shape: [...p.shape], data: opt.v[i]!.toArray() });
    i++;
  }
  return out;
}

/** Runs (or resumes) training; writes checkpoints, metrics.jsonl, the final model folder and report.md into `out`. */
export async function train(e: Engine, opts: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const meta: TokenMeta = readTokenMeta(opts.data);
  const metaFile = join(opts.data, 'meta.json');
  mkdirSync(opts.out, { recursive: true });

  // Resume: the checkpoint decides the model; flags that contradict it are an error.
  let state: TrainerState | undefined;
  let resumedFrom: string | undefined;
  if (opts.resume) {
    resumedFrom = latestCheckpoint(opts.out);
    if (!resumedFrom) throw new InputError('--resume: no checkpoint-* folder with trainer_state.json here', opts.out);
    state = readTrainerState(resumedFrom);
  }
  let config: TransformerConfig;
  if (state) {
    config = state.model;
    const asked = Object.keys(opts.overrides).length || opts.depth !== undefined || opts.family !== undefined ? modelConfigFor(opts, meta.vocabSize) : undefined;
    const diff = asked && sameShapes(asked, config);
    if (diff) throw new InputError(`checkpoint from a different config: ${diff}`, join(resumedFrom!, 'trainer_state.json'));
    if (config.vocabSize !== meta.vocabSize) throw new InputError(`checkpoint from a different config: vocabulary ${config.vocabSize} vs the data's ${meta.vocabSize}`, metaFile);
  } else {
    if (latestCheckpoint(opts.out)) {
      throw new UsageError(`${opts.out} already holds checkpoints of a run; continue it with --resume, or use a new --out folder`);
    }
    config = modelConfigFor(opts, meta.vocabSize);
  }
  const T = config.context;
  const train = new SplitTokens(opts.data, meta.splits.train, meta.vocabSize, T);
  const val = meta.splits.val && meta.splits.val.shards.length ? new SplitTokens(opts.data, meta.splits.val, meta.vocabSize, T) : undefined;
  const tokenizerDir = join(opts.data, 'tokenizer');
  const ids = { bosId: meta.eotId, eosId: meta.eotId };

  const model = state
    ? new Transformer(e, config, readSafetensorsFolder(resumedFrom!), resumedFrom)
    : Transformer.init(e, config, opts.seed);
  const params = model.parameters;
  const opt = e.adamwState(params);
  if (state) {
    const saved = readOptimizer(resumedFrom!);
    let i = 0;
    for (const [name, p] of model.params) {
      const m = saved.get(`exp_avg.${name}`);
      const v = saved.get(`exp_avg_sq.${name}`);
      if (!m || !v || m.data.length !== p.size || v.data.length !== p.size) {
        throw new InputError(`optimizer state for "${name}" is missing or has the wrong size`, join(resumedFrom!, 'optimizer.safetensors'));
      }
      e.write(opt.m[i]!, m.data);
      e.write(opt.v[i]!, v.data);
      i++;
    }
    opt.step = state.step;
  }
  const stream = new WindowStream(train, { mode: state?.data.mode ?? opts.windows, seed: opts.seed, position: state?.data });
  const metrics = new MetricsWriter(join(opts.out, 'metrics.jsonl'));
  if (state) metrics.truncateAfter(state.step);
  else writeFileAtomic(metrics.file, '');

  const arch = toArch(config);
  const nParams = countParams(arch);
  const fpt = flopsPerToken(arch, T).total;
  const startStep = state?.step ?? 0;
  hooks.onStart?.({ config, params: nParams, flopsPerToken: fpt, startStep, resumedFrom });
  const schedule: Schedule = { lr: opts.lr, minLr: opts.minLr, warmup: opts.warmup, steps: opts.steps, decay: opts.decay };
  const trainSettings: Record<string, unknown> = {
    data: opts.data, family: config.family, depth: opts.depth ?? state?.train.depth ?? TRAIN_DEFAULTS.depth, batch: opts.batch, gradAccum: opts.gradAccum, steps: opts.steps,
    lr: opts.lr, minLr: opts.minLr, warmup: opts.warmup, decay: opts.decay, weightDecay: opts.weightDecay, beta1: opts.beta1,
    beta2: opts.beta2, clip: opts.clip, evalEvery: opts.evalEvery, saveEvery: opts.saveEvery, seed: opts.seed, windows: stream.mode,
  };
  const B = opts.batch;
  const A = opts.gradAccum;
  let tokensSeen = state?.tokensSeen ?? 0;
  let elapsed = state?.elapsed ?? 0;
  let lastEval: EvalResult | undefined = state?.lastEval ? { valLoss: state.lastEval.valLoss, valBpb: state.lastEval.bpb ?? NaN, tokens: 0 } : undefined;
  let finalLoss: number | undefined;
  let step = startStep;
  let checkpoint: string | undefined;

  const save = (): string => {
    const s: TrainerState = {
      format: 'anvil-trainer-state', version: 1, step, tokensSeen, elapsed, data: stream.position, model: config, train: trainSettings,
      lastEval: lastEval ? { step, valLoss: lastEval.valLoss, bpb: lastEval.valBpb } : undefined,
    };
    const dir = saveCheckpoint(opts.out, { config, ids, weights: model.exportWeights(), tokenizerDir: existsSync(tokenizerDir) ? tokenizerDir : undefined }, optimizerTensors(model, opt), s, opts.keep);
    hooks.onCheckpoint?.(dir);
    return dir;
  };

  let interrupted = false;
  while (step < opts.steps) {
    const t0 = performance.now();
    let lossSum = 0;
    for (let a = 0; a < A; a++) {
      const batch = stream.next(B);
      lossSum += e.scope(() => {
        const loss = model.loss(batch.inputs, batch.targets, B, T);
        (A > 1 ? e.mulScalar(loss, 1 / A) : loss).backward();
        return loss.item();
      });
    }
    const loss = lossSum / A;
    e.assertFinite(loss, step + 1);
    const gradNorm = opts.clip > 0 ? e.clipGradNorm(params, opts.clip) : undefined;
    const lr = learningRate(step, schedule);
    e.adamw(params, opt, { lr, beta1: opts.beta1, beta2: opts.beta2, eps: 1e-8, weightDecay: (p) => (decays(p.name ?? '', p.shape) ? opts.weightDecay : 0) });
    e.zeroGrad(params);
    step++;
    const dt = (performance.now() - t0) / 1000;
    elapsed += dt;
    tokensSeen += B * T * A;
    finalLoss = loss;
    const line: MetricsLine = { step, loss, lr, tokensPerSec: (B * T * A) / dt, gradNorm, tokens: tokensSeen, elapsed: Math.round(elapsed * 1000) / 1000 };
    if (val && opts.evalEvery > 0 && (step % opts.evalEvery === 0 || step === opts.steps)) {
      lastEval = evaluate(model, val, meta.splits.val!.bytes, B, opts.evalWindows);
      line.valLoss = lastEval.valLoss;
      if (Number.isFinite(lastEval.valBpb)) line.valBpb = lastEval.valBpb;
      hooks.onEval?.(step, lastEval);
    }
    metrics.write(line);
    hooks.onStep?.(line, opts.steps);
    if (hooks.shouldStop?.()) {
      interrupted = true;
      checkpoint = save();
      break;
    }
    if ((opts.saveEvery > 0 && step % opts.saveEvery === 0) || step === opts.steps) checkpoint = save();
    // Let signal handlers run between steps.
    await new Promise((r) => setImmediate(r));
  }

  let report: string | undefined;
  if (!interrupted) {
    writeModelFolder(opts.out, { config, ids, weights: model.exportWeights(), tokenizerDir: existsSync(tokenizerDir) ? tokenizerDir : undefined });
    const all = readMetrics(metrics.file);
    writeFileAtomic(join(opts.out, 'loss.svg'), lossCurveSvg(all));
    report = join(opts.out, 'report.md');
    writeFileAtomic(report, reportMarkdown({
      title: `Training report: ${config.family} model, ${config.layers} layers, width ${config.width}`,
      model: { ...config }, train: trainSettings, params: nParams, flopsPerToken: fpt, steps: step, tokensSeen, seconds: elapsed,
      metrics: all, final: { loss: finalLoss, valLoss: lastEval?.valLoss, valBpb: lastEval?.valBpb },
      costs: runCosts(fpt * tokensSeen, elapsed), backend: e.backendName, threads: e.backend.threads,
    }));
  }
  return { config, steps: step, interrupted, tokensSeen, seconds: elapsed, finalLoss, lastEval, out: opts.out, checkpoint, report, params: nParams };
}

/** Throws a UsageError when settings cannot work together. */
export function checkTrainOptions(o: TrainOptions): void {
  if (o.minLr > o.lr) throw new UsageError(`--min-lr (${o.minLr}) must not exceed --lr (${o.lr})`);
  if (o.warmup > o.steps) throw new UsageError(`--warmup (${o.warmup}) must not exceed --steps (${o.steps})`);
}
