// The `--backend` and `--threads` flags shared by the commands that compute: parses them,
// resolves `auto`, says once on stderr why a faster backend was passed over, and opens
// the engine. The engine itself is imported when one is opened, not for a command's --help.

import { BACKENDS, resolveBackend, type BackendChoice } from '../backend/index.js';
import type { MatmulPrecision } from '../backend/types.js';
import type { Engine } from '../tensor/engine.js';
import { UsageError } from '../util/errors.js';
import { parseInteger } from '../util/units.js';

/** Help text for the two flags, aligned like the commands' own. */
export const BACKEND_HELP =
  '  --backend NAME         compute backend: cpu (default), native, webgpu, ref, or auto\n' +
  '                         (a real GPU, else native, else cpu)\n' +
  '  --threads N            worker threads (default: all cores, or ANVIL_THREADS)';

/** --backend value checked against the engine's backends (default cpu). */
export function backendFlag(s: string | undefined): BackendChoice {
  if (s === undefined) return 'cpu';
  if (s !== 'auto' && !(BACKENDS as readonly string[]).includes(s)) {
    throw new UsageError(`--backend "${s}" must be one of auto, ${BACKENDS.join(', ')}`);
  }
  return s as BackendChoice;
}

/** --threads value, if given. */
export function threadsFlag(s: string | undefined): number | undefined {
  return s === undefined ? undefined : parseInteger(s, '--threads', 1, 256);
}

/** --precision value: fp32 (default) or bf16 matmul products with f32 master weights. */
export function precisionFlag(s: string | undefined): MatmulPrecision {
  if (s === undefined || s === 'fp32') return 'fp32';
  if (s === 'bf16') return 'bf16';
  throw new UsageError(`--precision "${s}" must be fp32 or bf16`);
}

/** Opens an engine on the chosen backend; for `auto`, prints which one and why on stderr. */
export async function openEngine(choice: BackendChoice, threads?: number, matmul: MatmulPrecision = 'fp32'): Promise<Engine> {
  const { name, notes } = await resolveBackend(choice);
  if (choice === 'auto') {
    process.stderr.write(`anvil: backend auto -> ${name}${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
  }
  const { createEngine } = await import('../tensor/index.js');
  return createEngine({ backend: name, threads, matmul });
}
