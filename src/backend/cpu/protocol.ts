// The job protocol between the calling thread and the pool workers: slots of the control
// block at the start of the shared memory, and what a worker receives at start.

/** Int32 slot indices of the control block (byte offset 0 of the shared memory). */
export const CTL = {
  /** Job generation: bumped once per job; workers Atomics.wait on it. */
  gen: 0,
  /** Workers that finished the current job; the caller waits until all have. */
  done: 1,
  /** Index of the kernel in KERNEL_NAMES. */
  kernel: 2,
  /** Number of arguments in the f64 argument slots. */
  nargs: 3,
  /** Threads taking part in this job (tid < nt works, the rest only acknowledge). */
  nt: 4,
  /** Set to 1 by a worker whose kernel trapped. */
  error: 5,
  /** Set to 1 to make the workers exit. */
  stop: 6,
  /**
   * Work counters for dynamic scheduling: threads take the next tile with an atomic add, so
   * a thread slowed by other load takes fewer tiles. Reset to 0 before every job; the kernels
   * know them by byte address (assembly/common.ts WORK0 = 32, WORK1 = 36).
   */
  work0: 8,
  work1: 9,
} as const;

/** Byte offset of the f64 argument slots. */
export const ARGS_BYTE = 64;
/** Most arguments a kernel takes (tid and nt excluded). */
export const MAX_ARGS = 32;

import type { WasmMemory, WasmModule } from './wasm-api.js';

/** What each worker receives through workerData. */
export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  tid: number;
  scratch: number;
  scratchBytes: number;
}
