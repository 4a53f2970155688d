// The command table: one import and one entry per command that works. `anvil --help`
// lists exactly these, in this order.

import type { Command } from './command.js';
import { planCommand } from './plan.js';
import { dataCommand } from './data.js';
import { tokenizerCommand } from './tokenizer.js';
import { trainCommand } from './train.js';
import { generateCommand } from './generate.js';
import { chatCommand } from './chat.js';
import { demoCommand } from './demo.js';

export const COMMANDS: Command[] = [
  demoCommand,
  planCommand,
  dataCommand,
  tokenizerCommand,
  trainCommand,
  generateCommand,
  chatCommand,
];
