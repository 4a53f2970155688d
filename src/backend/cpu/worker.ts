// A pool worker of the cpu backend: instantiates the kernels over the shared memory, then
// loops: wait for a job generation, run its share (tid, nt) of the kernel, acknowledge.

import { parentPort, workerData } from 'node:worker_threads';
import { KERNEL_NAMES } from './kernels.js';
import { wasm } from './wasm-api.js';
import { ARGS_BYTE, CTL, MAX_ARGS, type WorkerInit } from './protocol.js';

const init = workerData as WorkerInit;
const inst = new wasm.Instance(init.module, { env: { memory: init.memory } });
const ex = inst.exports as Record<string, (...a: number[]) => void>;
ex.init!(init.scratch, init.scratchBytes);
const fns = KERNEL_NAMES.map((n) => ex[n]!);
// The control block sits below the first page, so these views stay valid when memory grows.
const ctl = new Int32Array(init.memory.buffer, 0, 1024);
const args = new Float64Array(init.memory.buffer, ARGS_BYTE, MAX_ARGS);
let gen = Atomics.load(ctl, CTL.gen);
parentPort!.postMessage('ready');

for (;;) {
  // Spin briefly first: kernels of one layer come back to back, and a futex wake costs more.
  let spins = 0;
  while (Atomics.load(ctl, CTL.gen) === gen) {
    if (++spins > 20000) Atomics.wait(ctl, CTL.gen, gen);
  }
  gen = Atomics.load(ctl, CTL.gen);
  if (Atomics.load(ctl, CTL.stop) !== 0) break;
  const nt = ctl[CTL.nt]!;
  if (init.tid < nt) {
    const n = ctl[CTL.nargs]!;
    const a: number[] = new Array<number>(n + 2);
    for (let i = 0; i < n; i++) a[i] = args[i]!;
    a[n] = init.tid;
    a[n + 1] = nt;
    try {
      fns[ctl[CTL.kernel]!]!(...a);
    } catch {
      Atomics.store(ctl, CTL.error, 1);
    }
  }
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}
