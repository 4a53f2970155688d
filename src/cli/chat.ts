// `anvil chat`: a terminal chat with a model folder, using the tokenizer's chat template
// (ChatML-style for anvil's tokenizers). Replies stream as they are generated; /reset
// clears the conversation, /exit (or end of input) quits. Works on piped input too.
// The model code loads when a chat starts, not for `anvil chat --help`.

import { createInterface } from 'node:readline';
import type { ChatMessage } from '../tokenizer/index.js';
import { UsageError } from '../util/errors.js';
import { parseInteger } from '../util/units.js';
import { parseFlags, type Command } from './command.js';
import { BACKEND_HELP, backendFlag, openEngine, threadsFlag } from './engine.js';
import { samplingFlags } from './generate.js';

const HELP = `anvil chat: talk to a model folder in the terminal, with its chat template.

Usage: anvil chat --model DIR [flags]

  --model DIR            Hugging Face model folder with tokenizer.json (and a chat template)
  --system TEXT          system message at the start of the conversation
  --max-tokens N         longest reply in tokens (default 256)
  --temperature T --top-k K --top-p P --repetition-penalty R --seed S   as in anvil generate
${BACKEND_HELP}

Type a message and press Enter. /reset starts over; /exit or Ctrl-D quits. Earlier turns
are dropped from the front when the conversation outgrows the model's context.

Example:
  anvil chat --model runs/chat-d6 --system "You are a helpful assistant." --temperature 0.7`;

const FLAGS = {
  model: { type: 'string' }, system: { type: 'string' }, 'max-tokens': { type: 'string' }, temperature: { type: 'string' },
  'top-k': { type: 'string' }, 'top-p': { type: 'string' }, 'repetition-penalty': { type: 'string' }, seed: { type: 'string' },
  backend: { type: 'string' }, threads: { type: 'string' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: v } = parseFlags(argv, FLAGS, 'chat');
  if (!v.model) throw new UsageError('chat: --model DIR is required');
  const maxTokens = v['max-tokens'] === undefined ? 256 : parseInteger(v['max-tokens'], '--max-tokens', 1);
  const sampling = samplingFlags(v);
  const { generateText } = await import('../model/generate-text.js');
  const { loadModel, loadTokenizer } = await import('../model/load.js');
  const tok = await loadTokenizer(v.model);
  const e = await openEngine(backendFlag(v.backend), threadsFlag(v.threads));
  try {
    const model = loadModel(e, v.model);
    const ctx = model.config.context;
    const endIds = [tok.eotId, tok.specialTokenId('<|im_end|>')].filter((x): x is number => x !== undefined);
    const history: ChatMessage[] = v.system ? [{ role: 'system', content: v.system }] : [];
    const tty = Boolean(process.stdin.isTTY);
    const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
    process.stderr.write(`anvil chat: ${v.model} (${model.config.family}, ${model.config.layers} layers). /reset, /exit\n`);
    let turn = 0;
    const ask = () => { if (tty) process.stdout.write('> '); };
    ask();
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/exit' || text === '/quit') break;
      if (text === '/reset') {
        history.splice(v.system ? 1 : 0);
        process.stdout.write('(conversation cleared)\n');
        ask();
        continue;
      }
      if (!text) { ask(); continue; }
      history.push({ role: 'user', content: text });
      let ids = tok.applyChatTemplate(history, { addGenerationPrompt: true }).ids;
      // Keep room for the reply: drop the oldest turns (after a system message) until it fits.
      while (ids.length + Math.min(maxTokens, ctx / 2) > ctx && history.length > (v.system ? 2 : 1)) {
        history.splice(v.system ? 1 : 0, 1);
        ids = tok.applyChatTemplate(history, { addGenerationPrompt: true }).ids;
      }
      if (ids.length >= ctx) ids = ids.slice(-Math.floor(ctx / 2));
      const r = generateText(model, tok, ids, {
        ...sampling, seed: sampling.seed + turn++, maxTokens, stopIds: endIds, stop: ['<|im_end|>', '<|im_start|>'],
        onText: (d) => process.stdout.write(d),
      });
      process.stdout.write('\n');
      history.push({ role: 'assistant', content: r.text });
      ask();
    }
    rl.close();
    return 0;
  } finally {
    e.dispose();
  }
}

export const chatCommand: Command = {
  help: HELP,
  run,
};
