// The webgpu backend (WGSL kernels through Dawn's `webgpu` package in Node). One device per
// process, in a worker thread; see backend.ts for the pool and batching, kernels.ts and
// wgsl/ for the kernels. Browsers use browser.ts instead.

import { UsageError } from '../../util/errors.js';
import { WebGpuBackend } from './backend.js';
import { WebGpuError } from './errors.js';
import { parseMatmulVariant, type KernelChoice } from './kernels.js';
import { startNodeTransport } from './node.js';
import type { MatmulVariant, SubgroupPath } from './wgsl/index.js';

export { WebGpuBackend } from './backend.js';
export type { MatmulVariant, SubgroupPath, Tuning } from './wgsl/index.js';
export type { AdapterDescription } from './device.js';
export { WebGpuError, WebGpuLimitError } from './errors.js';

/** Options of createWebGpuBackend. */
export interface WebGpuOptions {
  /** Kernel variants: by adapter class (default), or forced ('gpu' / 'software'). */
  kernels?: KernelChoice;
  /**
   * The matmul kernel: 'tiled' (default) or 'subgroup' (needs the adapter's `subgroups`
   * feature). Default: the environment variable ANVIL_WEBGPU_MATMUL, else 'tiled'.
   */
  matmul?: MatmulVariant;
  /** The subgroup matmul's path; only tests set it (see SUBGROUP_PATH_CODE). */
  subgroupPath?: SubgroupPath;
}

/**
 * Creates the webgpu backend; without an adapter, a UsageError says how to get one, as it does
 * for an unknown ANVIL_WEBGPU_MATMUL or the subgroup matmul on an adapter without subgroups.
 */
export async function createWebGpuBackend(opts: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const kernels = opts.kernels ?? 'auto';
  try {
    const matmul = opts.matmul ?? parseMatmulVariant(process.env.ANVIL_WEBGPU_MATMUL);
    const { transport, adapter, limits } = await startNodeTransport(kernels);
    try {
      return new WebGpuBackend(transport, adapter, limits, kernels, { matmul, subgroupPath: opts.subgroupPath });
    } catch (err) {
      transport.dispose();
      throw err;
    }
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
      // The tiled matmul: whether an adapter exists does not depend on ANVIL_WEBGPU_MATMUL.
      const b = await createWebGpuBackend({ matmul: 'tiled' });
      const hardware = b.adapter.hardware;
      b.dispose();
      return { ok: true, reason: '', hardware };
    } catch (err) {
      return { ok: false, reason: (err as Error).message, hardware: false };
    }
  })();
  return probe;
}
