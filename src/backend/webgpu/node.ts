// The Node transport: the device lives in a worker thread (worker.ts). Batches are posted
// to it; a synchronous read posts the batch with a SharedArrayBuffer and blocks on
// Atomics.wait until the worker has copied the values in.

import { Worker } from 'node:worker_threads';
import type { Transport } from './backend.js';
import type { AdapterDescription, DeviceLimits } from './device.js';
import type { KernelChoice } from './kernels.js';
import { WebGpuError } from './errors.js';
import { REPLY_HEADER_BYTES, REPLY_OK, type Batch, type ToWorker } from './protocol.js';

type FromWorker =
  | { type: 'ready'; adapter: AdapterDescription; limits: DeviceLimits }
  | { type: 'error'; message: string }
  | { type: 'read'; id: number; data?: ArrayBuffer; error?: string };

/** How long a synchronous read waits for the GPU before giving up (ANVIL_WEBGPU_TIMEOUT_S). */
function readTimeoutMs(): number {
  const s = Number(process.env.ANVIL_WEBGPU_TIMEOUT_S ?? 900);
  return (Number.isFinite(s) && s > 0 ? s : 900) * 1000;
}

/** Starts the device worker; throws WebGpuError (how to get an adapter) when there is none. */
export async function startNodeTransport(kernels: KernelChoice): Promise<{ transport: Transport; adapter: AdapterDescription; limits: DeviceLimits }> {
  // The parent's --input-type (node --eval) would make the worker refuse its file.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { kernels }, execArgv });
  const first = await new Promise<FromWorker>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new WebGpuError(`webgpu: the device worker exited (code ${code})`)));
  });
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  if (first.type !== 'ready') {
    await worker.terminate();
    throw new WebGpuError(first.type === 'error' ? first.message : 'webgpu: unexpected message from the device worker');
  }
  worker.unref();
  const waiting = new Map<number, { resolve: (b: ArrayBuffer) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let gone: string | null = null;
  worker.on('message', (m: FromWorker) => {
    if (m.type !== 'read') return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (!waiting.size) worker.unref();
    if (m.error !== undefined || !m.data) w?.reject(new WebGpuError(m.error ?? 'webgpu: read failed'));
    else w?.resolve(m.data);
  });
  worker.on('error', (err) => {
    gone = `webgpu: the device worker failed: ${err.message}`;
    for (const w of waiting.values()) w.reject(new WebGpuError(gone));
    waiting.clear();
  });
  const post = (msg: ToWorker, transfer: ArrayBuffer[]): void => {
    if (gone) throw new WebGpuError(gone);
    worker.postMessage(msg, transfer);
  };
  const transport: Transport = {
    send(batch: Batch, transfer: ArrayBuffer[]) {
      post({ type: 'batch', batch }, transfer);
    },
    readSync(batch, transfer, slot, bytes) {
      const reply = new SharedArrayBuffer(REPLY_HEADER_BYTES + Math.max(bytes, 4096));
      const head = new Int32Array(reply, 0, 4);
      post({ type: 'read', batch, slot, bytes, reply }, transfer);
      if (Atomics.wait(head, 0, 0, readTimeoutMs()) === 'timed-out') {
        throw new WebGpuError(`webgpu: no answer from the GPU after ${readTimeoutMs() / 1000} s (ANVIL_WEBGPU_TIMEOUT_S)`);
      }
      if (head[1] !== REPLY_OK) {
        throw new WebGpuError(new TextDecoder().decode(new Uint8Array(reply, REPLY_HEADER_BYTES, head[2]).slice()));
      }
      return new Uint8Array(reply, REPLY_HEADER_BYTES, bytes).slice().buffer;
    },
    readAsync(batch, transfer, slot, bytes) {
      const id = nextId++;
      return new Promise<ArrayBuffer>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.ref();
        try {
          post({ type: 'readAsync', batch, slot, bytes, id }, transfer);
        } catch (err) {
          waiting.delete(id);
          reject(err as Error);
        }
      });
    },
    dispose() {
      if (!gone) worker.postMessage({ type: 'dispose' } satisfies ToWorker);
      gone = 'webgpu: the backend was disposed';
      // The worker closes itself after its last read; terminate anyway so that nothing lingers.
      setTimeout(() => void worker.terminate(), 2000).unref();
    },
  };
  return { transport, adapter: first.adapter, limits: first.limits };
}
