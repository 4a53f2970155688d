// What every command file in cli/ exports, and the small helpers they share for flags
// and output. A command returns its exit code; throwing UsageError exits 2, any other
// error exits 1 (main.ts prints the one-line reason). A command file imports statically
// only what its help text and flag checks need, and its stack (engine, tokenizer, data
// pipeline...) inside `run`, so that `anvil <name> --help` starts quickly.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../util/errors.js';

/** A top-level command such as `anvil plan` (its name and summary are in commands.ts). */
export interface Command {
  /** The full text of `anvil <name> --help`, with at least one example. */
  help: string;
  run(argv: string[]): Promise<number | void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses flags strictly; an unknown flag or a missing value becomes a UsageError that
 * names the command.
 */
export function parseFlags<O extends Options>(argv: string[], options: O, command: string, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${command}: ${msg} (see anvil ${command} --help)`);
  }
}

/** Prints one JSON object on stdout (the `--json` contract: one object, one line). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Renders rows as an aligned plain-text table, each line prefixed with `indent`. */
export function table(rows: string[][], header?: string[], indent = ''): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const r of all) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  const line = (r: string[]) => indent + r.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join('  ').trimEnd();
  const out = all.map(line);
  if (header) out.splice(1, 0, indent + widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n');
}
