// `anvil generate`: sample a continuation of a prompt from a model folder, streamed to
// stdout as it is generated, or as one JSON object with --json. The model code loads
// when it runs, not for `anvil generate --help`.

import { UsageError } from '../util/errors.js';
import { parseInteger, parseNumber } from '../util/units.js';
import { parseFlags, printJson, type Command } from './command.js';
import { BACKEND_HELP, backendFlag, openEngine, threadsFlag } from './engine.js';

const HELP = `anvil generate: continue a prompt with a model folder (KV cache, streaming).

Usage: anvil generate --model DIR --prompt P [flags]

  --model DIR            Hugging Face model folder (anvil's, or gpt2 / llama-family) with tokenizer.json
  --prompt P             text to continue
  --max-tokens N         tokens to generate (default 128)
  --temperature T        0 = greedy (default 0.8)
  --top-k K              keep the K most likely tokens, 0 = all (default 40)
  --top-p P              keep the smallest set with probability P (default 0.95)
  --repetition-penalty R >1 discourages repeats (default 1)
  --seed S               sampling seed (default 0); same seed, same text
  --stop S               stop string (repeatable); the end-of-text token always stops
  --no-cache             recompute the whole window each token (slower; for comparison)
${BACKEND_HELP}
  --json                 print {"text","ids","tokens","tokensPerSec"}: the continuation only

Examples:
  anvil generate --model runs/d4 --prompt "The jury said" --max-tokens 60 --seed 1
  anvil generate --model runs/d4 --prompt "Once upon a time" --temperature 0 --json`;

const FLAGS = {
  model: { type: 'string' }, prompt: { type: 'string' }, 'max-tokens': { type: 'string' }, temperature: { type: 'string' },
  'top-k': { type: 'string' }, 'top-p': { type: 'string' }, 'repetition-penalty': { type: 'string' }, seed: { type: 'string' },
  stop: { type: 'string', multiple: true }, 'no-cache': { type: 'boolean' }, backend: { type: 'string' }, threads: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Sampling flags shared by generate and chat. */
export function samplingFlags(v: { temperature?: string; 'top-k'?: string; 'top-p'?: string; 'repetition-penalty'?: string; seed?: string }) {
  return {
    temperature: v.temperature === undefined ? 0.8 : parseNumber(v.temperature, '--temperature', 0, 100),
    topK: v['top-k'] === undefined ? 40 : parseInteger(v['top-k'], '--top-k', 0),
    topP: v['top-p'] === undefined ? 0.95 : parseNumber(v['top-p'], '--top-p', 0, 1),
    repetitionPenalty: v['repetition-penalty'] === undefined ? 1 : parseNumber(v['repetition-penalty'], '--repetition-penalty', 0.01, 100),
    seed: v.seed === undefined ? 0 : parseInteger(v.seed, '--seed', 0),
  };
}

async function run(argv: string[]): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS, 'generate');
  if (!v.model) throw new UsageError('generate: --model DIR is required');
  if (v.prompt === undefined) throw new UsageError('generate: --prompt is required');
  const maxTokens = v['max-tokens'] === undefined ? 128 : parseInteger(v['max-tokens'], '--max-tokens', 1);
  const sampling = samplingFlags(v);
  const { generateText } = await import('../model/generate-text.js');
  const { loadModel, loadTokenizer } = await import('../model/load.js');
  const tok = await loadTokenizer(v.model);
  const e = await openEngine(backendFlag(v.backend), threadsFlag(v.threads));
  try {
    const model = loadModel(e, v.model);
    const prompt = tok.encode(v.prompt);
    if (prompt.length === 0) prompt.push(tok.eotId);
    if (!v.json) process.stdout.write(v.prompt);
    const r = generateText(model, tok, prompt, {
      ...sampling, maxTokens, stop: v.stop, stopIds: [tok.eotId], useCache: !v['no-cache'],
      onText: v.json ? undefined : (delta) => process.stdout.write(delta),
    });
    if (v.json) printJson({ text: r.text, ids: r.ids, tokens: r.tokens, tokensPerSec: r.tokensPerSec });
    else {
      process.stdout.write('\n');
      process.stderr.write(`${r.tokens} tokens, ${r.tokensPerSec.toFixed(1)} tokens/s (${r.finishReason})\n`);
    }
    return 0;
  } finally {
    e.dispose();
  }
}

export const generateCommand: Command = {
  help: HELP,
  run,
};
