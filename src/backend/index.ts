// Backend selection by name, and `auto`: a real GPU (webgpu), else the native addon, else
// the WebAssembly cpu backend. Backends load on demand, so the ref backend works even where
// the WebAssembly kernels, the addon or a GPU are absent.

import { UsageError } from '../util/errors.js';
import { createRefBackend } from './ref/index.js';
import type { Backend, BackendName } from './types.js';

/** Names accepted by `createBackend` (and `--backend`). */
export const BACKENDS: readonly BackendName[] = ['cpu', 'ref', 'native', 'webgpu'];

/** What `--backend` accepts: a backend name, or `auto`. */
export type BackendChoice = BackendName | 'auto';

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

/** The webgpu backend's module (src/backend/webgpu: WGSL kernels through Dawn). */
export interface WebGpuModule {
  createWebGpuBackend(): Promise<Backend>;
  isWebGpuAvailable(): Promise<{ ok: boolean; reason: string; hardware: boolean }>;
}
const WEBGPU_MODULE = './webgpu/index.js';

/**
 * Resolves `auto` to a backend: webgpu on a real GPU (not a software adapter), else native
 * where the addon is built, else cpu. `notes` says why the faster ones were passed over.
 */
export async function resolveBackend(choice: BackendChoice): Promise<{ name: BackendName; notes: string[] }> {
  if (choice !== 'auto') {
    if (!BACKENDS.includes(choice)) throw new UsageError(`unknown backend '${String(choice)}' (known: auto, ${BACKENDS.join(', ')})`);
    return { name: choice, notes: [] };
  }
  const notes: string[] = [];
  const gpu = await backendAvailable('webgpu');
  if (gpu.ok && (gpu as { hardware?: boolean }).hardware) return { name: 'webgpu', notes };
  notes.push(gpu.ok ? 'webgpu: only a software adapter is present' : `webgpu: ${gpu.reason}`);
  const native = await backendAvailable('native');
  if (native.ok) return { name: 'native', notes };
  notes.push(`native: ${native.reason}`);
  return { name: 'cpu', notes };
}

/** Whether a backend can be created here, and if not why (for `auto` and skipped tests). */
export async function backendAvailable(name: BackendName): Promise<{ ok: boolean; reason: string }> {
  if (name === 'ref') return { ok: true, reason: '' };
  if (name === 'webgpu') {
    try {
      return await ((await import(WEBGPU_MODULE)) as WebGpuModule).isWebGpuAvailable();
    } catch (err) {
      return { ok: false, reason: `webgpu backend not present: ${(err as Error).message}` };
    }
  }
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
    case 'webgpu': {
      const mod = (await import(WEBGPU_MODULE)) as WebGpuModule;
      return mod.createWebGpuBackend();
    }
    default:
      throw new UsageError(`unknown backend '${String(name)}' (known: ${BACKENDS.join(', ')})`);
  }
}
