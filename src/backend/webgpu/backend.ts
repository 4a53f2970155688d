// The webgpu backend object: storage in pooled GPU buffers, kernels recorded into a command
// batch that goes to the device's executor when a value is read (or the batch grows large).
// Where the executor runs is the transport's business: a worker thread in Node (so that a
// read can block), the page's own thread in a browser (reads are asynchronous there).
//
// The pool: buffers are keyed by their byte size (rounded up to 16); `free` returns a buffer
// to its size's free list and `alloc` takes from it, so a training step allocates nothing
// after the first. GPU queue order makes reuse safe: commands run in the order recorded.

import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../ref/half.js';
import type { Backend, BackendName, DType, HostArray, KernelTable, MemoryStats } from '../types.js';
import { DTYPE_BYTES } from '../types.js';
import type { AdapterDescription, DeviceLimits } from './device.js';
import { WebGpuLimitError } from './errors.js';
import { matmulTuning, tuningFor, webgpuKernels, type GpuBuf, type KernelChoice, type Recorder } from './kernels.js';
import { NO_BUFFER, type Batch, type Command } from './protocol.js';
import { PARAM_WORDS, SHADERS, type MatmulVariant, type SubgroupPath, type Tuning } from './wgsl/index.js';

/** The matmul kernel asked for (see matmulTuning), and the subgroup variant's path (tests). */
export interface MatmulOptions {
  matmul?: MatmulVariant;
  subgroupPath?: SubgroupPath;
}

/** Carries batches to the executor and reads back bytes. */
export interface Transport {
  send(batch: Batch, transfer: ArrayBuffer[]): void;
  /** Runs the batch, then returns `bytes` bytes of a slot; throws where reads cannot block. */
  readSync(batch: Batch, transfer: ArrayBuffer[], slot: number, bytes: number): ArrayBuffer;
  readAsync(batch: Batch, transfer: ArrayBuffer[], slot: number, bytes: number): Promise<ArrayBuffer>;
  dispose(): void;
}

/** Commands and write bytes after which a batch is sent without waiting for a read. */
const FLUSH_COMMANDS = 4096;
const FLUSH_BYTES = 64 * 2 ** 20;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

export class WebGpuBackend implements Backend<GpuBuf> {
  // 'webgpu' joins BackendName when the engine registers this backend.
  readonly name: BackendName = 'webgpu';
  readonly threads = 1;
  readonly f64 = false;
  readonly kernels: KernelTable<GpuBuf>;
  /** The kernel variants in use (from the adapter class and the matmul asked for; see tuningFor). */
  readonly tuning: Tuning;

  private cmds: Command[] = [];
  private params = new Uint32Array(PARAM_WORDS * 256);
  private nParams = 0;
  private transfer: ArrayBuffer[] = [];
  private pendingBytes = 0;
  private readonly freeLists = new Map<number, number[]>();
  private nextSlot = 0;
  private poolBytes = 0;
  private bytesInUse = 0;
  private highWater = 0;
  private readonly rope = new Map<string, { positions: number; cos: GpuBuf; sin: GpuBuf }>();
  private disposed = false;

  constructor(
    private readonly transport: Transport,
    /** The adapter this backend runs on. */
    readonly adapter: AdapterDescription,
    readonly limits: DeviceLimits,
    kernelChoice: KernelChoice = 'auto',
    matmul: MatmulOptions = {},
  ) {
    // Throws (WebGpuError) when the subgroup matmul is asked for without the feature.
    this.tuning = tuningFor(adapter.hardware, kernelChoice, matmulTuning(adapter, matmul.matmul, matmul.subgroupPath));
    const rec: Recorder = {
      tuning: this.tuning,
      dispatch: (shader, bufs, params, groups) => this.dispatch(shader, bufs, params, groups),
      temp: (dtype, size) => this.alloc(dtype, size),
      release: (b) => this.free(b),
      ropeTables: (theta, d, positions) => this.ropeTables(theta, d, positions),
    };
    this.kernels = webgpuKernels(rec);
  }

  alloc(dtype: DType, size: number): GpuBuf {
    const need = size * DTYPE_BYTES[dtype];
    const bytes = Math.max(16, roundUp(need, 16));
    const { maxBufferSize, maxStorageBufferBindingSize } = this.limits;
    const limit = Math.min(maxBufferSize, maxStorageBufferBindingSize);
    if (bytes > limit) {
      const which = maxStorageBufferBindingSize <= maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
      throw new WebGpuLimitError(
        `webgpu: a ${dtype} tensor of ${size} elements needs ${need} bytes, but this adapter allows at most ${limit} bytes per buffer (${which})`,
      );
    }
    let slot = this.freeLists.get(bytes)?.pop();
    if (slot === undefined) {
      slot = this.nextSlot++;
      this.poolBytes += bytes;
      this.cmds.push({ op: 'create', slot, bytes });
    }
    this.bytesInUse += bytes;
    this.highWater = Math.max(this.highWater, this.bytesInUse);
    return { slot, bytes, dtype, size };
  }

  free(s: GpuBuf): void {
    this.bytesInUse -= s.bytes;
    let list = this.freeLists.get(s.bytes);
    if (!list) this.freeLists.set(s.bytes, (list = []));
    list.push(s.slot);
  }

  read(s: GpuBuf, dtype: DType, size: number): HostArray {
    const bytes = roundUp(size * DTYPE_BYTES[dtype], 4);
    if (bytes === 0) return fromBytes(dtype, new ArrayBuffer(0), 0);
    const { batch, transfer } = this.take();
    return fromBytes(dtype, this.transport.readSync(batch, transfer, s.slot, bytes), size);
  }

  /** The asynchronous read (browsers; in Node it does not block the thread). */
  async readAsync(s: GpuBuf, dtype: DType, size: number): Promise<HostArray> {
    const bytes = roundUp(size * DTYPE_BYTES[dtype], 4);
    if (bytes === 0) return fromBytes(dtype, new ArrayBuffer(0), 0);
    const { batch, transfer } = this.take();
    return fromBytes(dtype, await this.transport.readAsync(batch, transfer, s.slot, bytes), size);
  }

  write(s: GpuBuf, dtype: DType, data: ArrayLike<number>): void {
    const data32 = toBytes(dtype, data);
    this.cmds.push({ op: 'write', slot: s.slot, data: data32 });
    this.transfer.push(data32);
    this.pendingBytes += data32.byteLength;
    this.maybeFlush();
  }

  /** Pool figures: `buffers` and the high-water mark stay flat once a step has run. */
  memory(): MemoryStats & { poolBytes: number } {
    return { bytesInUse: this.bytesInUse, highWaterBytes: this.highWater, buffers: this.nextSlot, poolBytes: this.poolBytes };
  }

  /** Sends what is recorded so far to the GPU without waiting. */
  flush(): void {
    if (!this.cmds.length) return;
    const { batch, transfer } = this.take();
    this.transport.send(batch, transfer);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.transport.dispose();
  }

  private dispatch(shader: string, bufs: (GpuBuf | null)[], params: number[], groups: [number, number, number]): void {
    const def = SHADERS[shader];
    // A buffer written by a dispatch may not also be bound as one of its inputs: run the
    // kernel into a pooled copy and copy the result back.
    const swaps: { orig: GpuBuf; tmp: GpuBuf }[] = [];
    const bound = bufs.map((b, i) => {
      if (!b || def.bufs[i][2] !== 'read_write') return b;
      if (!bufs.some((o, j) => j !== i && o && o.slot === b.slot)) return b;
      const tmp = this.alloc(b.dtype, b.size);
      this.cmds.push({ op: 'copy', src: b.slot, dst: tmp.slot, bytes: b.bytes });
      swaps.push({ orig: b, tmp });
      return tmp;
    });
    if (this.nParams * PARAM_WORDS >= this.params.length) {
      const grown = new Uint32Array(this.params.length * 2);
      grown.set(this.params);
      this.params = grown;
    }
    this.params.set(params, this.nParams * PARAM_WORDS);
    this.cmds.push({ op: 'dispatch', shader, params: this.nParams++, bufs: bound.map((b) => (b ? b.slot : NO_BUFFER)), groups });
    for (const { orig, tmp } of swaps) {
      this.cmds.push({ op: 'copy', src: tmp.slot, dst: orig.slot, bytes: orig.bytes });
      this.free(tmp);
    }
    this.maybeFlush();
  }

  private maybeFlush(): void {
    if (this.cmds.length >= FLUSH_COMMANDS || this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private take(): { batch: Batch; transfer: ArrayBuffer[] } {
    const params = this.params.slice(0, this.nParams * PARAM_WORDS);
    const batch: Batch = { cmds: this.cmds, params };
    const transfer = [...this.transfer, params.buffer];
    this.cmds = [];
    this.transfer = [];
    this.nParams = 0;
    this.pendingBytes = 0;
    return { batch, transfer };
  }

  private ropeTables(theta: number, d: number, positions: number): [GpuBuf, GpuBuf] {
    const key = `${theta}:${d}`;
    let t = this.rope.get(key);
    if (!t || t.positions < positions) {
      if (t) {
        this.free(t.cos);
        this.free(t.sin);
      }
      const cap = Math.max(positions, 2 * (t?.positions ?? 0), 64);
      const half = d / 2;
      const cos = new Float64Array(cap * half);
      const sin = new Float64Array(cap * half);
      for (let p = 0; p < cap; p++) {
        for (let i = 0; i < half; i++) {
          const angle = p * theta ** ((-2 * i) / d);
          cos[p * half + i] = Math.cos(angle);
          sin[p * half + i] = Math.sin(angle);
        }
      }
      t = { positions: cap, cos: this.alloc('f32', cap * half), sin: this.alloc('f32', cap * half) };
      this.write(t.cos, 'f32', cos);
      this.write(t.sin, 'f32', sin);
      this.rope.set(key, t);
    }
    return [t.cos, t.sin];
  }
}

/** Host values as the bytes of a storage dtype (length rounded up to 4). */
function toBytes(dtype: DType, data: ArrayLike<number>): ArrayBuffer {
  const n = data.length;
  switch (dtype) {
    case 'f32': {
      const a = new Float32Array(n);
      a.set(data);
      return a.buffer;
    }
    case 'i32': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = data[i];
      return a.buffer;
    }
    default: {
      const a = new Uint16Array(n + (n & 1));
      const conv = dtype === 'bf16' ? f32ToBf16 : dtype === 'f16' ? f32ToF16 : (x: number) => x;
      for (let i = 0; i < n; i++) a[i] = conv(data[i]);
      return a.buffer;
    }
  }
}

/** Bytes read back as host values (16-bit floats widened to f32). */
function fromBytes(dtype: DType, bytes: ArrayBuffer, size: number): HostArray {
  switch (dtype) {
    case 'f32': return new Float32Array(bytes, 0, size);
    case 'i32': return new Int32Array(bytes, 0, size);
    case 'u16': return new Uint16Array(bytes, 0, size);
    default: {
      const h = new Uint16Array(bytes, 0, size);
      const conv = dtype === 'bf16' ? bf16ToF32 : f16ToF32;
      const out = new Float32Array(size);
      for (let i = 0; i < size; i++) out[i] = conv(h[i]);
      return out;
    }
  }
}

