// `anvil train`: pretrain (or resume) a gpt2 or llama-family model on token shards from
// `anvil data tokenize`. Parses flags, shows progress, turns SIGINT/SIGTERM into a
// checkpoint, and prints the result (one JSON object with --json).

import type { ArchConfig, Family } from '../plan/architecture.js';
import { checkTrainOptions, train, TRAIN_DEFAULTS, type TrainOptions } from '../train/trainer.js';
import { UsageError } from '../util/errors.js';
import { formatCount, formatDuration, parseInteger, parseNumber } from '../util/units.js';
import { parseFlags, printJson, type Command } from './command.js';
import { Progress } from './progress.js';
import { BACKEND_HELP, backendFlag, openEngine, precisionFlag, threadsFlag } from './engine.js';
import type { BackendChoice } from '../backend/index.js';
import type { MatmulPrecision } from '../backend/types.js';

const D = TRAIN_DEFAULTS;

const HELP = `anvil train: pretrain a gpt2 or llama-family model on token shards; resumable.

Usage: anvil train --data TOKDIR --out DIR [flags]

Data and output:
  --data TOKDIR          folder from \`anvil data tokenize\` (meta.json, train_*.bin, val_*.bin)
  --out DIR              checkpoints (DIR/checkpoint-NNNNNN/), metrics.jsonl, the final
                         Hugging Face model folder, report.md and loss.svg
  --resume               continue from the newest checkpoint in DIR, exactly
Model (sizes follow --depth; each field can be overridden):
  --family F             llama (default) or gpt2
  --depth N              layers; width = 64 x depth, heads of 64 (default ${D.depth})
  --layers --heads --kv-heads --width --context   override the derived shape
Optimisation:
  --batch N              sequences per micro-step (default ${D.batch})
  --grad-accum N         micro-steps per optimizer step (default ${D.gradAccum})
  --steps N              optimizer steps (default ${D.steps})
  --lr X --min-lr X      peak and final learning rate (default ${D.lr}, ${D.minLr})
  --warmup N             linear warmup steps (default ${D.warmup})
  --decay cosine|linear  decay after warmup (default ${D.decay})
  --weight-decay X       AdamW decay of matrices; never norms, biases, embeddings (default ${D.weightDecay})
  --clip X               global gradient-norm clip, 0 = off (default ${D.clip})
  --windows random|sequential   how training windows are taken (default ${D.windows})
Evaluation and checkpoints:
  --eval-every N         validation loss and bits per byte every N steps (default ${D.evalEvery})
  --eval-windows N       validation windows per evaluation (default ${D.evalWindows})
  --save-every N         checkpoint every N steps (default ${D.saveEvery}); also at the end and on Ctrl-C
  --keep K               checkpoints kept (default ${D.keep})
Run:
  --seed N               initialisation and data order (default ${D.seed})
${BACKEND_HELP}
  --precision P          fp32 (default) or bf16: bf16 matmul products, f32 master weights
                         and sums (native backend; AVX512-BF16 where present)
  --json                 print one JSON object with the result

Each line of DIR/metrics.jsonl is {"step","loss","lr","tokensPerSec"} plus "valLoss" and
"valBpb" on evaluation steps. Ctrl-C (SIGINT) or SIGTERM saves a checkpoint and exits;
--resume continues with bit-identical results.

Examples:
  anvil train --data tok/ --out runs/d4 --depth 4 --context 256 --steps 2000
  anvil train --data tok/ --out runs/gpt --family gpt2 --layers 4 --heads 4 --width 128 --context 64 --batch 12
  anvil train --data tok/ --out runs/d4 --resume`;

const FLAGS = {
  data: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' },
  family: { type: 'string' }, depth: { type: 'string' }, layers: { type: 'string' }, heads: { type: 'string' },
  'kv-heads': { type: 'string' }, width: { type: 'string' }, context: { type: 'string' },
  batch: { type: 'string' }, 'grad-accum': { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' },
  'min-lr': { type: 'string' }, warmup: { type: 'string' }, decay: { type: 'string' }, 'weight-decay': { type: 'string' },
  clip: { type: 'string' }, windows: { type: 'string' }, 'eval-every': { type: 'string' }, 'eval-windows': { type: 'string' },
  'save-every': { type: 'string' }, keep: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, precision: { type: 'string' },
  threads: { type: 'string' }, json: { type: 'boolean' },
} as const;

/** Parses `anvil train` flags into TrainOptions (UsageError on bad values). */
export function parseTrainFlags(argv: string[]): TrainOptions & { backend: BackendChoice; precision: MatmulPrecision; threads?: number; json: boolean } {
  const { values: v } = parseFlags(argv, FLAGS, 'train');
  if (!v.data) throw new UsageError('train: --data TOKDIR is required (a folder from `anvil data tokenize`)');
  if (!v.out) throw new UsageError('train: --out DIR is required');
  const int = (s: string | undefined, flag: string, def: number, min = 1) => (s === undefined ? def : parseInteger(s, `--${flag}`, min));
  const num = (s: string | undefined, flag: string, def: number, min = 0) => (s === undefined ? def : parseNumber(s, `--${flag}`, min));
  if (v.family !== undefined && v.family !== 'gpt2' && v.family !== 'llama') throw new UsageError(`train: --family "${v.family}" must be gpt2 or llama`);
  const overrides: Partial<ArchConfig> = {};
  if (v.layers !== undefined) overrides.layers = parseInteger(v.layers, '--layers', 1);
  if (v.heads !== undefined) overrides.heads = parseInteger(v.heads, '--heads', 1);
  if (v['kv-heads'] !== undefined) overrides.kvHeads = parseInteger(v['kv-heads'], '--kv-heads', 1);
  if (v.width !== undefined) overrides.width = parseInteger(v.width, '--width', 1);
  if (v.context !== undefined) overrides.context = parseInteger(v.context, '--context', 2);
  if (v.decay !== undefined && v.decay !== 'cosine' && v.decay !== 'linear' && v.decay !== 'constant') throw new UsageError(`train: --decay "${v.decay}" must be cosine, linear or constant`);
  if (v.windows !== undefined && v.windows !== 'random' && v.windows !== 'sequential') throw new UsageError(`train: --windows "${v.windows}" must be random or sequential`);
  const o = {
    data: v.data, out: v.out, resume: Boolean(v.resume),
    family: v.family as Family | undefined,
    depth: v.depth === undefined ? (v.layers !== undefined ? overrides.layers : undefined) : parseInteger(v.depth, '--depth', 1),
    overrides,
    batch: int(v.batch, 'batch', D.batch), gradAccum: int(v['grad-accum'], 'grad-accum', D.gradAccum), steps: int(v.steps, 'steps', D.steps),
    lr: num(v.lr, 'lr', D.lr), minLr: num(v['min-lr'], 'min-lr', v.lr !== undefined && v['min-lr'] === undefined ? Number(v.lr) / 10 : D.minLr),
    warmup: int(v.warmup, 'warmup', Math.min(D.warmup, v.steps !== undefined ? Math.floor(Number(v.steps) / 10) : D.warmup), 0),
    decay: (v.decay ?? D.decay) as TrainOptions['decay'], weightDecay: num(v['weight-decay'], 'weight-decay', D.weightDecay),
    beta1: D.beta1, beta2: D.beta2, clip: num(v.clip, 'clip', D.clip),
    evalEvery: int(v['eval-every'], 'eval-every', D.evalEvery, 0), evalWindows: int(v['eval-windows'], 'eval-windows', D.evalWindows),
    saveEvery: int(v['save-every'], 'save-every', D.saveEvery, 0), keep: int(v.keep, 'keep', D.keep),
    seed: int(v.seed, 'seed', D.seed, 0), windows: (v.windows ?? D.windows) as TrainOptions['windows'],
    backend: backendFlag(v.backend), threads: threadsFlag(v.threads), precision: precisionFlag(v.precision),
    json: Boolean(v.json),
  };
  checkTrainOptions(o);
  return o;
}

async function run(argv: string[]): Promise<number> {
  const o = parseTrainFlags(argv);
  let stopSignal: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    // A second signal means "now": leave without the checkpoint.
    if (stopSignal) process.exit(s === 'SIGINT' ? 130 : 143);
    stopSignal = s;
    process.stderr.write(`\nanvil train: ${s} received; saving a checkpoint after this step (again to quit at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const e = await openEngine(o.backend, o.threads, o.precision);
  let progress: Progress | undefined;
  let start = 0;
  try {
    const r = await train(e, o, {
      onStart: (info) => {
        start = info.startStep;
        process.stderr.write(
          `anvil train: ${info.config.family}, ${info.config.layers} layers, width ${info.config.width}, ${info.config.heads} heads` +
          ` (${info.config.kvHeads} kv), context ${info.config.context}, vocab ${info.config.vocabSize}: ${formatCount(info.params)} parameters,` +
          ` ${formatCount(info.flopsPerToken)} FLOPs/token on ${e.backendName} (${e.backend.threads} threads)` +
          (info.resumedFrom ? `; resuming from ${info.resumedFrom} at step ${info.startStep}` : '') + '\n',
        );
        progress = new Progress('train', o.steps - info.startStep, 'steps');
      },
      onStep: (m) => progress?.update(m.step - start, `step ${m.step} loss ${m.loss.toFixed(4)} ${Math.round(m.tokensPerSec)} tok/s${m.valLoss !== undefined ? ` val ${m.valLoss.toFixed(4)}` : ''}`),
      shouldStop: () => stopSignal !== undefined,
    });
    progress?.finish(`loss ${r.finalLoss?.toFixed(4) ?? '-'}`);
    const tps = r.seconds > 0 ? r.tokensSeen / r.seconds : 0;
    const result = {
      out: r.out, steps: r.steps, interrupted: r.interrupted, loss: r.finalLoss ?? null, valLoss: r.lastEval?.valLoss ?? null,
      valBpb: r.lastEval?.valBpb ?? null, tokensSeen: r.tokensSeen, seconds: r.seconds, tokensPerSec: tps, params: r.params,
      checkpoint: r.checkpoint ?? null, report: r.report ?? null,
    };
    if (o.json) printJson(result);
    else if (r.interrupted) {
      process.stdout.write(`stopped at step ${r.steps}; checkpoint ${r.checkpoint}\nresume with: anvil train --data ${o.data} --out ${o.out} --resume\n`);
    } else {
      process.stdout.write([
        `trained ${r.steps} steps, ${formatCount(r.tokensSeen)} tokens in ${formatDuration(r.seconds)} (${Math.round(tps)} tokens/s)`,
        `final loss ${r.finalLoss?.toFixed(4) ?? '-'}` + (r.lastEval ? `, validation loss ${r.lastEval.valLoss.toFixed(4)}, ${r.lastEval.valBpb.toFixed(4)} bits per byte` : ''),
        `model folder: ${r.out} (config.json, model.safetensors, tokenizer.json)`,
        `report: ${r.report}`,
        `try it: anvil generate --model ${r.out} --prompt "Once upon a time"`,
      ].join('\n') + '\n');
    }
    if (r.interrupted) return stopSignal === 'SIGTERM' ? 143 : 130;
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    e.dispose();
  }
}

export const trainCommand: Command = {
  help: HELP,
  run,
};
