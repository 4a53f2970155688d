/// <reference types="@webgpu/types" />
// The webgpu backend in a browser page: the device and the executor live on the page's own
// thread, so reads are asynchronous only (`readAsync`); a synchronous `read` throws and says so.

import { WebGpuBackend, type MatmulOptions, type Transport } from './backend.js';
import { openDevice } from './device.js';
import { WebGpuError } from './errors.js';
import { Executor } from './executor.js';
import { tuningFor, type KernelChoice } from './kernels.js';

/** Creates the backend on `gpu` (default: navigator.gpu); `matmul` as in createWebGpuBackend. */
export async function createBrowserWebGpuBackend(gpu?: GPU, kernels: KernelChoice = 'auto', matmul: MatmulOptions = {}): Promise<WebGpuBackend> {
  const g = gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!g) throw new WebGpuError('webgpu: this browser has no navigator.gpu (WebGPU is off or unsupported)');
  const { device, adapter, limits } = await openDevice(g);
  const executor = new Executor(device, tuningFor(adapter.hardware, kernels));
  let reads: Promise<unknown> = Promise.resolve();
  const transport: Transport = {
    send(batch) {
      executor.run(batch);
    },
    readSync() {
      throw new WebGpuError('webgpu: a browser cannot wait for the GPU synchronously; use await tensor.read() (readAsync)');
    },
    readAsync(batch, _transfer, slot, bytes) {
      executor.run(batch);
      const r = reads.then(() => executor.read(slot, bytes));
      reads = r.catch(() => undefined);
      return r;
    },
    dispose() {
      executor.dispose();
    },
  };
  try {
    return new WebGpuBackend(transport, adapter, limits, kernels, matmul);
  } catch (err) {
    transport.dispose();
    throw err;
  }
}
