// The command table: one import and one entry per command that works. `anvil --help`
// lists exactly these, in this order.

import type { Command } from './command.js';
import { planCommand } from './plan.js';
import { dataCommand } from './data.js';
import { tokenizerCommand } from './tokenizer.js';

export const COMMANDS: Command[] = [
  planCommand,
  dataCommand,
  tokenizerCommand,
];
