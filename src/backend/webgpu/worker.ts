// The Node worker that owns the GPU device: it replays the main thread's command batches
// and answers reads, synchronous ones through a SharedArrayBuffer the main thread waits on
// with Atomics.wait (a WebGPU read is asynchronous; only another thread can make it block).

import { parentPort, workerData } from 'node:worker_threads';
import { openDevice } from './device.js';
import { Executor } from './executor.js';
import { tuningFor, type KernelChoice } from './kernels.js';
import { nodeGpu } from './node-gpu.js';
import { REPLY_ERROR, REPLY_HEADER_BYTES, REPLY_OK, type Batch, type ToWorker } from './protocol.js';

const port = parentPort!;
let executor: Executor | null = null;
let keepAlive: unknown = null;
let failure: string | null = null;
let reads: Promise<void> = Promise.resolve();

function run(batch: Batch): void {
  try {
    executor!.run(batch);
  } catch (err) {
    failure ??= (err as Error).message;
  }
}

async function read(slot: number, bytes: number): Promise<ArrayBuffer> {
  if (failure) {
    const f = failure;
    failure = null;
    throw new Error(f);
  }
  return executor!.read(slot, bytes);
}

function replySync(reply: SharedArrayBuffer, data: ArrayBuffer | null, error: string | null): void {
  const head = new Int32Array(reply, 0, 4);
  const room = reply.byteLength - REPLY_HEADER_BYTES;
  if (data) {
    new Uint8Array(reply, REPLY_HEADER_BYTES, data.byteLength).set(new Uint8Array(data));
    head[1] = REPLY_OK;
    head[2] = data.byteLength;
  } else {
    const msg = new TextEncoder().encode(error ?? 'unknown error').subarray(0, room);
    new Uint8Array(reply, REPLY_HEADER_BYTES, msg.length).set(msg);
    head[1] = REPLY_ERROR;
    head[2] = msg.length;
  }
  Atomics.store(head, 0, 1);
  Atomics.notify(head, 0);
}

try {
  const { gpu, keepAlive: k } = await nodeGpu();
  keepAlive = k;
  const { device, adapter, limits } = await openDevice(gpu);
  executor = new Executor(device, tuningFor(adapter.hardware, (workerData as { kernels: KernelChoice }).kernels));
  port.postMessage({ type: 'ready', adapter, limits });
} catch (err) {
  port.postMessage({ type: 'error', message: (err as Error).message });
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'batch':
      run(msg.batch);
      break;
    case 'read':
      run(msg.batch);
      reads = reads.then(() =>
        read(msg.slot, msg.bytes).then(
          (data) => replySync(msg.reply, data, null),
          (err: Error) => replySync(msg.reply, null, err.message),
        ));
      break;
    case 'readAsync':
      run(msg.batch);
      reads = reads.then(() =>
        read(msg.slot, msg.bytes).then(
          (data) => port.postMessage({ type: 'read', id: msg.id, data }, [data]),
          (err: Error) => port.postMessage({ type: 'read', id: msg.id, error: err.message }),
        ));
      break;
    case 'dispose':
      void reads.then(() => {
        executor?.dispose();
        keepAlive = null;
        port.close();
      });
      break;
  }
});
