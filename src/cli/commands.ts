// The command table: one entry per command that works. `anvil --help` lists exactly
// these, in this order. A command's module is imported only when that command is asked
// for: importing them all (some import their stacks at the top, tokenizer and train) costs
// every command, even `anvil --help`, about 80 ms and 13 MB more (measured).

import type { Command } from './command.js';

/** A command as `anvil --help` lists it; `load` imports its module. */
export interface CommandEntry {
  name: string;
  /** One line for `anvil --help`. */
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'demo',
    summary: 'the whole pipeline on a bundled corpus: data, tokenizer, training, samples, in minutes',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'plan',
    summary: 'what a model costs: FLOPs, memory, GPUs, days, money, data, people',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    name: 'data',
    summary: 'prepare training text: extract, filter, deduplicate, scrub personal data; tokenize',
    load: async () => (await import('./data.js')).dataCommand,
  },
  {
    name: 'tokenizer',
    summary: 'train, encode, decode and measure byte-level BPE tokenizers (tokenizer.json)',
    load: async () => (await import('./tokenizer.js')).tokenizerCommand,
  },
  {
    name: 'train',
    summary: 'pretrain or continue training a gpt2/llama model on token shards; resumable, with a report card',
    load: async () => (await import('./train.js')).trainCommand,
  },
  {
    name: 'generate',
    summary: 'continue a prompt with a model folder (KV cache, sampling, streaming)',
    load: async () => (await import('./generate.js')).generateCommand,
  },
  {
    name: 'chat',
    summary: 'chat with a model folder in the terminal, using its chat template',
    load: async () => (await import('./chat.js')).chatCommand,
  },
];
