// The webgpu backend (WGSL kernels through Dawn's `webgpu` package in Node). One device per
// process, in a worker thread; see backend.ts for the pool and batching, kernels.ts and
// wgsl/ for the kernels. Browsers use browser.ts instead.

import { UsageError } from '../../util/errors.js';
import { WebGpuBackend } from './backend.js';
import { WebGpuError } from './errors.js';
import type { KernelChoice } from './kernels.js';
import { startNodeTransport } from './node.js';

export { WebGpuBackend } from './backend.js';
export type { AdapterDescription } from './device.js';
export { WebGpuError, WebGpuLimitError } from './errors.js';

/** Options of createWebGpuBackend. */
export interface WebGpuOptions {
  /** Kernel variants: by adapter class (default), or forced ('gpu' / 'software'). */
  kernels?: KernelChoice;
}

/** Creates the webgpu backend; without an adapter, a UsageError says how to get one. */
export async function createWebGpuBackend(opts: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const kernels = opts.kernels ?? 'auto';
  try {
    const { transport, adapter, limits } = await startNodeTransport(kernels);
    return new WebGpuBackend(transport, adapter, limits, kernels);
  } catch (err) {
    if (err instanceof WebGpuError) throw new UsageError(err.message);
    throw err;
  }
}

let probe: Promise<{ ok: boolean; reason: string; hardware: boolean }> | null = null;

/** Whether an adapter exists here (cached per process); `hardware` is false for software ones. */
export function isWebGpuAvailable(): Promise<{ ok: boolean; reason: string; hardware: boolean }> {
  probe ??= (async () => {
    try {
      const b = await createWebGpuBackend();
      const hardware = b.adapter.hardware;
      b.dispose();
      return { ok: true, reason: '', hardware };
    } catch (err) {
      return { ok: false, reason: (err as Error).message, hardware: false };
    }
  })();
  return probe;
}
