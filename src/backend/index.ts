// Backend selection by name. The cpu backend is loaded on demand, so the ref backend works
// even where the WebAssembly kernels have not been built.

import { UsageError } from '../util/errors.js';
import { createRefBackend } from './ref/index.js';
import type { Backend, BackendName } from './types.js';

/** Names accepted by `createBackend` (and `--backend`). */
export const BACKENDS: readonly BackendName[] = ['cpu', 'ref', 'native'];

/** Options of `createBackend`. */
export interface BackendOptions {
  /** cpu, native: threads including the calling one (default ANVIL_THREADS, else all cores). */
  threads?: number;
  /** ref: 'f64' holds f32 tensors in float64 (finite-difference gradient checks). */
  precision?: 'f32' | 'f64';
}

/** The native backend's module (src/backend/native, a Node-API addon built where a compiler exists). */
export interface NativeModule {
  createNativeBackend(opts: { threads?: number }): Backend;
  isNativeAvailable(): { ok: boolean; reason: string };
}
const NATIVE_MODULE = './native/index.js';

/** Whether a backend can be created here, and if not why (for `auto` and skipped tests). */
export async function backendAvailable(name: BackendName): Promise<{ ok: boolean; reason: string }> {
  if (name === 'ref') return { ok: true, reason: '' };
  if (name === 'native') {
    try {
      return ((await import(NATIVE_MODULE)) as NativeModule).isNativeAvailable();
    } catch (err) {
      return { ok: false, reason: `native backend not present: ${(err as Error).message}` };
    }
  }
  try {
    const b = await createBackend(name);
    b.dispose();
    return { ok: true, reason: '' };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** Creates a backend by name. */
export async function createBackend(name: BackendName, opts: BackendOptions = {}): Promise<Backend> {
  if (opts.precision === 'f64' && name !== 'ref') throw new UsageError(`precision f64 exists only on the ref backend, not ${name}`);
  switch (name) {
    case 'ref':
      return createRefBackend({ f64: opts.precision === 'f64' }) as Backend;
    case 'cpu': {
      const { createCpuBackend } = await import('./cpu/index.js');
      return (await createCpuBackend({ threads: opts.threads })) as Backend;
    }
    case 'native': {
      // Loaded by path so that the engine builds while the native backend is absent.
      const mod = (await import(NATIVE_MODULE)) as NativeModule;
      return mod.createNativeBackend({ threads: opts.threads }) as Backend;
    }
    default:
      throw new UsageError(`unknown backend '${String(name)}' (known: ${BACKENDS.join(', ')})`);
  }
}
