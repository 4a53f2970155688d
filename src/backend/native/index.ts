// The native backend: the engine's kernel table on the Node-API addon (AVX-512, AVX2+FMA or
// portable kernels chosen at run time, a pool of ANVIL_THREADS native threads). Storage is
// aligned native memory owned by this backend, seen from TypeScript as an ArrayBuffer
// without copies; `free` releases it at once and detaches the ArrayBuffer.

import { UsageError } from '../../util/errors.js';
import type { Backend, DType, HostArray, KernelArgs, KernelTable, MemoryStats } from '../types.js';
import { DTYPE_BYTES } from '../types.js';
import { DTYPE_CODE, loadNative, type NativeAddon } from './addon.js';

/** A native storage buffer: the ArrayBuffer over native memory, its dtype and length. */
export interface NativeBuf {
  readonly ab: ArrayBuffer;
  readonly dtype: DType;
  readonly size: number;
}

/** Whether the native backend can run here; `reason` says why not (shown once by `auto`). */
export function isNativeAvailable(): { ok: boolean; reason: string } {
  const l = loadNative();
  return { ok: l.addon !== null, reason: l.reason };
}

/** The instruction set and thread count the addon uses, or null when it is absent. */
export function nativeInfo(): ReturnType<NativeAddon['info']> | null {
  return loadNative().addon?.info() ?? null;
}

// The pool is process-wide; each backend sets its own thread count before its kernels run.
let poolThreads = 0;

function defaultThreads(addon: NativeAddon): number {
  const env = Number(process.env.ANVIL_THREADS);
  return Number.isInteger(env) && env > 0 ? env : addon.info().hardwareThreads || 1;
}

const BIN = { add: 0, sub: 1, mul: 2, div: 3 } as const;
const RED = { sum: 0, mean: 1, max: 2 } as const;
const ACT = { gelu: 0, silu: 1 } as const;

type A<K extends keyof KernelArgs<NativeBuf>> = KernelArgs<NativeBuf>[K];

function kernelTable(n: NativeAddon, use: () => void): KernelTable<NativeBuf> {
  const ab = (s: NativeBuf | null): ArrayBuffer | null => (s ? s.ab : null);
  return {
    fill: ({ out, n: count, value }: A<'fill'>) => {
      use();
      n.fill(out.ab, DTYPE_CODE[out.dtype], count, value);
    },
    copy2d: (a: A<'copy2d'>) => {
      use();
      n.copy2d(a.src.ab, a.srcOff, a.srcStride, a.dst.ab, a.dstOff, a.dstStride, a.rows, a.cols,
        DTYPE_BYTES[a.dst.dtype], a.accumulate);
    },
    cast: (a: A<'cast'>) => {
      use();
      n.cast(a.src.ab, DTYPE_CODE[a.srcType], a.dst.ab, DTYPE_CODE[a.dstType], a.n);
    },
    matmul: (a: A<'matmul'>) => {
      use();
      // bf16 products (AVX512-BF16 where present; elsewhere operands rounded to bf16, f32 products).
      const bf16 = a.precision === 'bf16';
      const flags = (a.transA ? 1 : 0) | (a.transB ? 2 : 0) | (a.accumulate ? 4 : 0) | (bf16 ? 8 : 0);
      n.matmul(a.a.ab, a.b.ab, a.c.ab, a.batch, a.m, a.n, a.k, a.strideA, a.strideB, a.strideC, flags);
    },
    binary: (a: A<'binary'>) => {
      use();
      n.binary(BIN[a.op], a.a.ab, a.b.ab, a.out.ab, a.shape, a.aShape, a.bShape);
    },
    affine: (a: A<'affine'>) => {
      use();
      n.affine(a.a.ab, a.out.ab, a.n, a.mul, a.add);
    },
    sumTo: (a: A<'sumTo'>) => n.sumTo(a.x.ab, a.out.ab, a.xShape, a.outShape),
    reduceLast: (a: A<'reduceLast'>) => {
      use();
      n.reduceLast(RED[a.op], a.x.ab, a.out.ab, ab(a.argmax), a.rows, a.cols);
    },
    reduceLastBwd: (a: A<'reduceLastBwd'>) => {
      use();
      n.reduceLastBwd(RED[a.op], a.dout.ab, a.dx.ab, ab(a.argmax), a.rows, a.cols);
    },
    embedding: (a: A<'embedding'>) => {
      use();
      n.embedding(a.table.ab, a.ids.ab, a.out.ab, a.n, a.c, a.v);
    },
    embeddingBwd: (a: A<'embeddingBwd'>) => {
      use();
      n.embeddingBwd(a.dout.ab, a.ids.ab, a.dtable.ab, a.n, a.c, a.v);
    },
    layerNorm: (a: A<'layerNorm'>) => {
      use();
      n.norm(a.x.ab, null, null, a.w.ab, a.b.ab, a.out.ab, a.mean.ab, a.rstd.ab, a.rows, a.c, a.eps);
    },
    layerNormBwd: (a: A<'layerNormBwd'>) => {
      use();
      n.normBwd(a.dout.ab, a.x.ab, a.w.ab, a.mean.ab, a.rstd.ab, a.dx.ab, a.dw.ab, a.db.ab, a.rows, a.c);
    },
    rmsNorm: (a: A<'rmsNorm'>) => {
      use();
      n.norm(a.x.ab, null, null, a.w.ab, null, a.out.ab, null, a.rstd.ab, a.rows, a.c, a.eps);
    },
    rmsNormBwd: (a: A<'rmsNormBwd'>) => {
      use();
      n.normBwd(a.dout.ab, a.x.ab, a.w.ab, null, a.rstd.ab, a.dx.ab, a.dw.ab, null, a.rows, a.c);
    },
    addLayerNorm: (a: A<'addLayerNorm'>) => {
      use();
      n.norm(a.x.ab, a.r.ab, a.s.ab, a.w.ab, a.b.ab, a.out.ab, a.mean.ab, a.rstd.ab, a.rows, a.c, a.eps);
    },
    addRmsNorm: (a: A<'addRmsNorm'>) => {
      use();
      n.norm(a.x.ab, a.r.ab, a.s.ab, a.w.ab, null, a.out.ab, null, a.rstd.ab, a.rows, a.c, a.eps);
    },
    activation: (a: A<'activation'>) => {
      use();
      n.activation(ACT[a.op], a.x.ab, ab(a.bias), a.out.ab, a.rows, a.c);
    },
    activationBwd: (a: A<'activationBwd'>) => {
      use();
      n.activationBwd(ACT[a.op], a.x.ab, ab(a.bias), a.dout.ab, a.dx.ab, a.rows, a.c);
    },
    rope: (a: A<'rope'>) => {
      use();
      n.rope(a.x.ab, a.out.ab, a.b, a.t, a.h, a.d, a.pos0, a.theta, a.inverse);
    },
    attention: (a: A<'attention'>) => {
      use();
      n.attention(a.q.ab, a.k.ab, a.v.ab, a.out.ab, a.lse.ab, a.b, a.t, a.tk, a.h, a.hkv, a.d, a.scale, a.causal,
        a.pastLen);
    },
    attentionBwd: (a: A<'attentionBwd'>) => {
      use();
      n.attentionBwd(a.q.ab, a.k.ab, a.v.ab, a.out.ab, a.lse.ab, a.dout.ab, a.dq.ab, a.dk.ab, a.dv.ab, a.b, a.t,
        a.tk, a.h, a.hkv, a.d, a.scale, a.causal, a.pastLen);
    },
    softmax: (a: A<'softmax'>) => {
      use();
      n.softmax(a.x.ab, a.out.ab, a.rows, a.cols);
    },
    softmaxBwd: (a: A<'softmaxBwd'>) => {
      use();
      n.softmaxBwd(a.y.ab, a.dy.ab, a.dx.ab, a.rows, a.cols);
    },
    crossEntropy: (a: A<'crossEntropy'>) => {
      use();
      n.crossEntropy(a.logits.ab, a.targets.ab, a.loss.ab, a.lse.ab, a.rows, a.v, a.ignoreIndex);
    },
    crossEntropyBwd: (a: A<'crossEntropyBwd'>) => {
      use();
      n.crossEntropyBwd(a.logits.ab, a.targets.ab, a.lse.ab, a.dloss.ab, a.dlogits.ab, a.rows, a.v, a.ignoreIndex);
    },
    dropout: (a: A<'dropout'>) => {
      use();
      n.dropout(a.x.ab, a.out.ab, a.n, a.p, a.seed >>> 0, a.offset >>> 0);
    },
    adamw: (a: A<'adamw'>) => {
      use();
      n.adamw(a.p.ab, a.g.ab, a.m.ab, a.v.ab, a.n, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.step);
    },
    sumSquares: (a: A<'sumSquares'>) => {
      use();
      n.sumSquares(a.x.ab, a.out.ab, a.n, a.accumulate);
    },
  };
}

/** Creates the native backend; throws a UsageError with the reason where the addon is unusable. */
export function createNativeBackend(opts: { threads?: number } = {}): Backend<NativeBuf> {
  const { addon: n, reason } = loadNative();
  if (!n) throw new UsageError(`native backend unavailable: ${reason}`);
  const threads = opts.threads ?? defaultThreads(n);
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`threads must be a positive integer, not ${threads}`);
  const use = (): void => {
    if (poolThreads !== threads) {
      n.setThreads(threads);
      poolThreads = threads;
    }
  };
  use();
  const live = new Set<NativeBuf>();
  let bytesInUse = 0;
  let highWaterBytes = 0;

  return {
    name: 'native',
    threads,
    f64: false,
    matmulPrecisions: ['bf16'],
    kernels: kernelTable(n, use),
    alloc(dtype, size) {
      const bytes = size * DTYPE_BYTES[dtype];
      const buf: NativeBuf = { ab: n.alloc(bytes), dtype, size };
      live.add(buf);
      bytesInUse += bytes;
      highWaterBytes = Math.max(highWaterBytes, bytesInUse);
      return buf;
    },
    free(buf) {
      if (!live.delete(buf)) throw new Error('native backend: buffer freed twice or not from this backend');
      bytesInUse -= buf.size * DTYPE_BYTES[buf.dtype];
      n.free(buf.ab);
    },
    read(buf, dtype, size): HostArray {
      switch (dtype) {
        case 'f32': return new Float32Array(buf.ab, 0, size).slice();
        case 'i32': return new Int32Array(buf.ab, 0, size).slice();
        case 'u16': return new Uint16Array(buf.ab, 0, size).slice();
        default: {
          const out = new Float32Array(size); // 16-bit floats come back as f32
          n.cast(buf.ab, DTYPE_CODE[dtype], out, DTYPE_CODE.f32, size);
          return out;
        }
      }
    },
    write(buf, dtype, data) {
      switch (dtype) {
        case 'f32': new Float32Array(buf.ab, 0, data.length).set(data); break;
        case 'i32': new Int32Array(buf.ab, 0, data.length).set(data); break;
        case 'u16': new Uint16Array(buf.ab, 0, data.length).set(data); break;
        default: {
          const tmp = data instanceof Float32Array ? data : Float32Array.from(data);
          n.cast(tmp, DTYPE_CODE.f32, buf.ab, DTYPE_CODE[dtype], tmp.length);
        }
      }
    },
    memory(): MemoryStats {
      return { bytesInUse, highWaterBytes, buffers: live.size };
    },
    dispose() {
      for (const buf of live) n.free(buf.ab);
      live.clear();
      bytesInUse = 0;
      n.trim();
    },
  };
}
