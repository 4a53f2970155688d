// The reference backend: storage is a plain typed array per tensor and kernels are the
// readable loops of kernels.ts. In f64 mode f32 tensors are held as Float64Array, so the
// finite-difference gradient checks run in double precision.

import type { Backend, DType, HostArray, MemoryStats } from '../types.js';
import { DTYPE_BYTES } from '../types.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';
import { refKernels, type RefBuf } from './kernels.js';

/** Creates the reference backend; `f64` stores f32 tensors in float64. */
export function createRefBackend(options: { f64?: boolean } = {}): Backend<RefBuf> {
  const f64 = options.f64 ?? false;
  const sizes = new Map<RefBuf, number>();
  let bytesInUse = 0;
  let highWaterBytes = 0;

  const make = (dtype: DType, n: number): RefBuf => {
    switch (dtype) {
      case 'f32': return f64 ? new Float64Array(n) : new Float32Array(n);
      case 'i32': return new Int32Array(n);
      case 'bf16':
      case 'f16':
      case 'u16': return new Uint16Array(n);
    }
  };

  return {
    name: 'ref',
    threads: 1,
    f64,
    kernels: refKernels,
    alloc(dtype, n) {
      const buf = make(dtype, n);
      const bytes = n * DTYPE_BYTES[dtype];
      sizes.set(buf, bytes);
      bytesInUse += bytes;
      highWaterBytes = Math.max(highWaterBytes, bytesInUse);
      return buf;
    },
    free(buf) {
      const bytes = sizes.get(buf);
      if (bytes === undefined) throw new Error('ref backend: double free');
      sizes.delete(buf);
      bytesInUse -= bytes;
    },
    read(buf, dtype, n): HostArray {
      if (dtype === 'bf16' || dtype === 'f16') {
        const out = f64 ? new Float64Array(n) : new Float32Array(n);
        const dec = dtype === 'bf16' ? bf16ToF32 : f16ToF32;
        for (let i = 0; i < n; i++) out[i] = dec(buf[i]);
        return out;
      }
      return buf.slice(0, n);
    },
    write(buf, dtype, data) {
      const enc = dtype === 'bf16' ? f32ToBf16 : dtype === 'f16' ? f32ToF16 : null;
      for (let i = 0; i < data.length; i++) buf[i] = enc ? enc(data[i]) : data[i];
    },
    memory(): MemoryStats {
      return { bytesInUse, highWaterBytes, buffers: sizes.size };
    },
    dispose() {
      sizes.clear();
    },
  };
}
