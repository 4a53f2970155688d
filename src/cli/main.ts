#!/usr/bin/env node
// The `anvil` executable: finds the command, runs it, and turns errors into a one-line
// reason and an exit code (2 for usage errors, 1 for failures).

import { readFileSync } from 'node:fs';
import { COMMANDS } from './commands.js';
import { AnvilError, UsageError } from '../util/errors.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length), 8);
  return [
    'anvil: build your own language model on the hardware you have.',
    '',
    'Usage: anvil <command> [flags]      anvil <command> --help for flags and an example',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Flags: --help, --version',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`anvil ${pkg.version}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return 0;
  }
  return (await command.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usageError = err instanceof UsageError;
    const msg = err instanceof AnvilError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`anvil: ${msg}\n`);
    if (process.env.ANVIL_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = usageError ? 2 : 1;
  },
);
