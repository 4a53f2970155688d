// Runs the built `anvil` executable in a child process, for end-to-end CLI tests.

import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of the compiled CLI entry point. */
export const ANVIL = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs `anvil ...args` and returns its exit code and output. */
export function anvil(args: string[], opts: SpawnSyncOptions = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [ANVIL, ...args], { encoding: 'utf8', timeout: 600_000, ...opts });
  return { code: r.status ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
