// The cpu backend's runtime: one shared WebAssembly.Memory, the arena allocator that
// TypeScript owns (kernels never allocate), the choice between the relaxed-SIMD (FMA) and
// plain-SIMD kernel builds, and a worker_threads pool in which the calling thread takes
// part and every job ends at an Atomics barrier.
//
// Memory layout (bytes):
//   [0, 4096)                 control block: job generation, done count, kernel, args
//   [65536, 65536 + P*SCR)    per-thread scratch (packing panels, score rows, partials)
//   [arenaBase, ...)          the arena: every tensor's storage, 64-byte aligned blocks

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { AnvilError } from '../../util/errors.js';
import { KERNEL_NAMES, type KernelName, type Ptr } from './kernels.js';
import { wasm, type WasmMemory, type WasmModule } from './wasm-api.js';
import { CTL, MAX_ARGS, ARGS_BYTE, type WorkerInit } from './protocol.js';

const PAGE = 65536;
/** wasm32 limit: 65536 pages = 4 GiB. */
const MAX_PAGES = 65536;
/** Scratch per thread: matmul packs (KC×NC and MC×KC panels) and attention score rows fit. */
export const SCRATCH_BYTES = 4 << 20;
const SCRATCH_BASE = PAGE;
const ALIGN = 64;

/** Options of `createCpuRuntime`. */
export interface CpuRuntimeOptions {
  /** Threads including the calling one; default ANVIL_THREADS, else the available cores. */
  threads?: number;
  /** Kernel build: 'auto' (relaxed SIMD where the runtime accepts it), 'relaxed' or 'simd'. Default ANVIL_WASM or 'auto'. */
  simd?: 'auto' | 'relaxed' | 'simd';
  /** Arena bytes reserved at start (grows on demand). Default 64 MiB. */
  initialBytes?: number;
}

/** Memory figures of the arena, in bytes. */
export interface ArenaStats {
  /** Bytes in live blocks. */
  inUse: number;
  /** Highest arena end ever reached (the high-water mark). */
  highWater: number;
  /** Current size of the WebAssembly memory. */
  memoryBytes: number;
  /** Live blocks. */
  blocks: number;
}

/** A kernel failed inside the WebAssembly (a trap: out-of-bounds pointer, bad size). */
export class KernelError extends AnvilError {
  override name = 'KernelError';
}

/** Where the compiled kernels live: dist/wasm/, next to dist/src/. */
function wasmPath(build: 'simd' | 'relaxed'): URL {
  return new URL(`../../../wasm/kernels-${build}.wasm`, import.meta.url);
}

/**
 * Whether this runtime accepts the relaxed-SIMD build. Node 22+ (V8 >= 11.4) ships relaxed
 * SIMD; Node 20 (V8 11.3) has the same, final opcodes behind --experimental-wasm-relaxed-simd,
 * which `enableFlag` switches on for this process before validating again. The plain-SIMD
 * build is used when validation still fails.
 */
export function relaxedSimdSupported(bytes: Uint8Array, enableFlag: boolean): boolean {
  if (wasm.validate(bytes)) return true;
  if (!enableFlag) return false;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return wasm.validate(bytes);
}

function resolveThreads(requested: number | undefined): number {
  const env = process.env.ANVIL_THREADS;
  const n = requested ?? (env !== undefined && env !== '' ? Number(env) : availableParallelism());
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`thread count must be an integer in 1..256, got ${requested ?? `ANVIL_THREADS=${env}`}`);
  }
  return n;
}

/**
 * Create a runtime: compile the kernels, create the shared memory, start threads-1 workers.
 * @example
 *   const rt = await createCpuRuntime({ threads: 2 });
 *   const p = rt.alloc(16); rt.f32(p, 4).set([1, 2, 3, 4]); rt.free(p);
 *   await rt.close();
 */
export async function createCpuRuntime(opts: CpuRuntimeOptions = {}): Promise<CpuRuntime> {
  const threads = resolveThreads(opts.threads);
  const want = opts.simd ?? ((process.env.ANVIL_WASM as CpuRuntimeOptions['simd']) || 'auto');
  if (want !== 'auto' && want !== 'relaxed' && want !== 'simd') throw new RangeError(`simd must be auto, relaxed or simd, got ${want}`);
  let build: 'simd' | 'relaxed' = want === 'simd' ? 'simd' : 'relaxed';
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(wasmPath(build));
    if (build === 'relaxed' && !relaxedSimdSupported(bytes, true)) {
      if (want === 'relaxed') throw new KernelError('relaxed SIMD is not supported by this runtime (Node 20 needs --experimental-wasm-relaxed-simd)');
      build = 'simd';
      bytes = readFileSync(wasmPath(build));
    }
  } catch (e) {
    if (e instanceof KernelError) throw e;
    throw new KernelError(`cannot read the cpu kernels (${wasmPath(build).pathname}): run \`npm run build\` first`);
  }
  const module = new wasm.Module(bytes);
  const arenaBase = SCRATCH_BASE + threads * SCRATCH_BYTES;
  const initialBytes = arenaBase + (opts.initialBytes ?? 64 << 20);
  const memory = new wasm.Memory({ initial: Math.ceil(initialBytes / PAGE), maximum: MAX_PAGES, shared: true });
  const rt = new CpuRuntime(module, memory, threads, build === 'relaxed', arenaBase);
  await rt.startWorkers();
  return rt;
}

type KernelFn = (...args: number[]) => void;

/** Receives each kernel call's name and wall time (ms); for benchmarks. */
export type KernelProfiler = (name: KernelName, ms: number) => void;
let profiler: KernelProfiler | null = null;

/** Time every kernel call of every runtime in this thread (null switches it off). */
export function setKernelProfiler(p: KernelProfiler | null): void {
  profiler = p;
}

/** The shared memory, its arena and the thread pool. Create with `createCpuRuntime`. */
export class CpuRuntime {
  /** Whether the relaxed-SIMD (FMA) build is in use. */
  readonly relaxed: boolean;
  /** Threads that take part in big kernels, the calling one included. */
  readonly threads: number;
  readonly memory: WasmMemory;
  private readonly module: WasmModule;
  private readonly fns: KernelFn[];
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly workers: Worker[] = [];
  private readonly arenaBase: number;
  private top: number;
  private highWater: number;
  private inUse = 0;
  // Free blocks sorted by offset; neighbours are coalesced on free.
  private freeOff: number[] = [];
  private freeSize: number[] = [];
  private readonly live = new Map<number, number>();
  private closed = false;

  constructor(module: WasmModule, memory: WasmMemory, threads: number, relaxed: boolean, arenaBase: number) {
    this.module = module;
    this.memory = memory;
    this.threads = threads;
    this.relaxed = relaxed;
    this.arenaBase = arenaBase;
    this.top = arenaBase;
    this.highWater = arenaBase;
    const inst = new wasm.Instance(module, { env: { memory } });
    const ex = inst.exports as Record<string, unknown>;
    (ex.init as (s: number, n: number) => void)(SCRATCH_BASE, SCRATCH_BYTES);
    this.fns = KERNEL_NAMES.map((n) => {
      const f = ex[n];
      if (typeof f !== 'function') throw new KernelError(`the kernel build lacks the export ${n}: rebuild with npm run build`);
      return f as KernelFn;
    });
    this.ctl = new Int32Array(memory.buffer, 0, 1024);
    this.args = new Float64Array(memory.buffer, ARGS_BYTE, MAX_ARGS);
  }

  /** @internal Start threads-1 workers and wait until each has instantiated the kernels. */
  async startWorkers(): Promise<void> {
    const url = new URL('./worker.js', import.meta.url);
    const ready: Promise<void>[] = [];
    for (let tid = 1; tid < this.threads; tid++) {
      const init: WorkerInit = { module: this.module, memory: this.memory, tid, scratch: SCRATCH_BASE + tid * SCRATCH_BYTES, scratchBytes: SCRATCH_BYTES };
      const w = new Worker(url, { workerData: init });
      this.workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      );
    }
    await Promise.all(ready);
    // Idle workers block in Atomics.wait; they must not keep the process alive.
    for (const w of this.workers) w.unref();
  }

  /**
   * Run kernel `name` on `nt` threads (1 = the calling thread only); returns when every
   * thread has finished. Each thread receives (...args, tid, nt) and takes its share.
   */
  run(name: KernelName, args: readonly number[], nt: number): void {
    if (profiler === null) return this.runJob(name, args, nt);
    const t0 = performance.now();
    try {
      this.runJob(name, args, nt);
    } finally {
      profiler(name, performance.now() - t0);
    }
  }

  private runJob(name: KernelName, args: readonly number[], nt: number): void {
    if (this.closed) throw new KernelError('the cpu runtime is closed');
    const k = KERNEL_INDEX[name];
    const fn = this.fns[k]!;
    nt = Math.min(nt, this.threads);
    if (nt <= 1) {
      try {
        fn(...args, 0, 1);
      } catch (e) {
        throw new KernelError(`kernel ${name} failed: ${(e as Error).message}`);
      }
      return;
    }
    if (args.length > MAX_ARGS) throw new RangeError(`kernel ${name}: ${args.length} args > ${MAX_ARGS}`);
    const ctl = this.ctl;
    this.args.set(args);
    ctl[CTL.kernel] = k;
    ctl[CTL.nargs] = args.length;
    ctl[CTL.nt] = nt;
    ctl[CTL.error] = 0;
    ctl[CTL.work0] = 0;
    ctl[CTL.work1] = 0;
    Atomics.store(ctl, CTL.done, 0);
    Atomics.add(ctl, CTL.gen, 1);
    Atomics.notify(ctl, CTL.gen);
    let err: unknown;
    try {
      fn(...args, 0, nt);
    } catch (e) {
      err = e;
    }
    // Barrier: every worker acknowledges each job (those with tid >= nt do nothing).
    const want = this.threads - 1;
    let spins = 0;
    for (;;) {
      const d = Atomics.load(ctl, CTL.done);
      if (d >= want) break;
      if (++spins > 20000) Atomics.wait(ctl, CTL.done, d, 50);
    }
    if (err !== undefined) throw new KernelError(`kernel ${name} failed: ${(err as Error).message}`);
    if (ctl[CTL.error] !== 0) throw new KernelError(`kernel ${name} failed in a worker thread (out-of-bounds pointer or size?)`);
  }

  /** Allocate `bytes` (rounded up to 64) in the arena; returns a 64-byte aligned offset. */
  alloc(bytes: number): Ptr {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`alloc: bad size ${bytes}`);
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    // Best fit among free blocks keeps a repeating pattern of allocations in place.
    let best = -1;
    for (let i = 0; i < this.freeSize.length; i++) {
      const s = this.freeSize[i]!;
      if (s >= size && (best < 0 || s < this.freeSize[best]!)) {
        best = i;
        if (s === size) break;
      }
    }
    let off: number;
    if (best >= 0) {
      off = this.freeOff[best]!;
      if (this.freeSize[best] === size) {
        this.freeOff.splice(best, 1);
        this.freeSize.splice(best, 1);
      } else {
        this.freeOff[best]! += size;
        this.freeSize[best]! -= size;
      }
    } else {
      off = this.top;
      this.ensure(off + size);
      this.top = off + size;
      if (this.top > this.highWater) this.highWater = this.top;
    }
    this.live.set(off, size);
    this.inUse += size;
    return off;
  }

  /** Return a block from `alloc` to the arena. */
  free(ptr: Ptr): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new RangeError(`free: ${ptr} is not a live block (double free?)`);
    this.live.delete(ptr);
    this.inUse -= size;
    let off = ptr;
    let len = size;
    // Binary search for the insertion point, then merge with the neighbours.
    let lo = 0;
    let hi = this.freeOff.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeOff[mid]! < off) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && this.freeOff[lo - 1]! + this.freeSize[lo - 1]! === off) {
      lo--;
      off = this.freeOff[lo]!;
      len += this.freeSize[lo]!;
      this.freeOff.splice(lo, 1);
      this.freeSize.splice(lo, 1);
    }
    if (lo < this.freeOff.length && off + len === this.freeOff[lo]) {
      len += this.freeSize[lo]!;
      this.freeOff.splice(lo, 1);
      this.freeSize.splice(lo, 1);
    }
    if (off + len === this.top) {
      this.top = off;
      return;
    }
    this.freeOff.splice(lo, 0, off);
    this.freeSize.splice(lo, 0, len);
  }

  /** Size in bytes of a live block (rounded up to 64). */
  sizeOf(ptr: Ptr): number {
    const s = this.live.get(ptr);
    if (s === undefined) throw new RangeError(`sizeOf: ${ptr} is not a live block`);
    return s;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new KernelError(`cpu backend out of memory: ${end} bytes exceed the 4 GiB WebAssembly limit`);
    // Grow generously so a growing workload does not grow page by page.
    const extra = Math.min(MAX_PAGES - have / PAGE, Math.max(pages, Math.ceil(have / PAGE / 4)));
    this.memory.grow(extra);
  }

  /** A Float32Array view of n elements at ptr; re-create views after any alloc (memory may grow). */
  f32(ptr: Ptr, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }
  /** A Float64Array view (n elements at ptr). */
  f64(ptr: Ptr, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, n);
  }
  /** An Int32Array view (n elements at ptr). */
  i32(ptr: Ptr, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }
  /** A Uint16Array view (n elements at ptr): bf16, f16 and u16 storage. */
  u16(ptr: Ptr, n: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, ptr, n);
  }
  /** A Uint8Array view (n bytes at ptr). */
  u8(ptr: Ptr, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  /** Arena figures: live bytes, high-water mark, memory size, live blocks. */
  stats(): ArenaStats {
    return { inUse: this.inUse, highWater: this.highWater - this.arenaBase, memoryBytes: this.memory.buffer.byteLength, blocks: this.live.size };
  }

  /** Stop the workers. The runtime cannot run kernels afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, CTL.stop, 1);
    Atomics.add(this.ctl, CTL.gen, 1);
    Atomics.notify(this.ctl, CTL.gen);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

const KERNEL_INDEX = Object.fromEntries(KERNEL_NAMES.map((n, i) => [n, i])) as Record<KernelName, number>;
