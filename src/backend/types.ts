// The backend contract: storage (alloc / free / read / write) and one kernel table typed over
// a single list of kernel names, so a backend that lacks a kernel is a compile error.
//
// Every buffer is row-major and contiguous; sizes and offsets count elements, not bytes.
// Dimension names: B batch, T time (Tk keys), C channels, H heads, Hkv kv heads, D head dim,
// V vocab, N rows. Float kernels read and write f32 storage (f64 on the ref backend in
// f64 mode); bf16 / f16 exist only as storage, converted by `cast`.

export type DType = 'f32' | 'bf16' | 'f16' | 'i32' | 'u16';

export type BackendName = 'ref' | 'cpu' | 'native' | 'webgpu';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/** Arithmetic of matmul products: f32, or bf16 operands with f32 accumulation. */
export type MatmulPrecision = 'fp32' | 'bf16';

/** Arguments of every kernel, by kernel name. `S` is the backend's storage handle. */
export interface KernelArgs<S> {
  /** out[i] = value, i < n. */
  fill: { out: S; n: number; value: number };
  /** dst[dstOff + r*dstStride + c] = src[srcOff + r*srcStride + c] (+= when accumulate). */
  copy2d: {
    src: S; srcOff: number; srcStride: number;
    dst: S; dstOff: number; dstStride: number;
    rows: number; cols: number; accumulate: boolean;
  };
  /** dst = src converted between dtypes (floats round to nearest even). */
  cast: { src: S; srcType: DType; dst: S; dstType: DType; n: number };
  /**
   * C[b] = op(A[b]) · op(B[b]) (+ C[b] when accumulate), b < batch; op(A) is (M, K), op(B) is
   * (K, N). strideA / strideB / strideC are element distances between batches (0 = shared).
   */
  matmul: {
    a: S; b: S; c: S; batch: number; m: number; n: number; k: number;
    transA: boolean; transB: boolean; strideA: number; strideB: number; strideC: number;
    accumulate: boolean;
    /**
     * 'bf16': operands rounded to bf16, products accumulated in f32 (mixed-precision training
     * with f32 master weights). Only backends that list it in `matmulPrecisions` get it.
     */
    precision?: MatmulPrecision;
  };
  /**
   * out = a op b with broadcasting. `shape` is the output shape; aShape / bShape have the
   * same rank with 1 on broadcast axes. out may be the same storage as a (in place).
   */
  binary: { op: BinaryOp; a: S; b: S; out: S; shape: number[]; aShape: number[]; bShape: number[] };
  /** out[i] = a[i] * mul + add. */
  affine: { a: S; out: S; n: number; mul: number; add: number };
  /** out (+)= x summed over the axes where outShape is 1 (same rank as xShape). */
  sumTo: { x: S; out: S; xShape: number[]; outShape: number[]; accumulate: boolean };
  /** out[r] = sum / mean / max of x[r, :] (rows, cols); argmax (i32) written for max. */
  reduceLast: { op: 'sum' | 'mean' | 'max'; x: S; out: S; argmax: S | null; rows: number; cols: number };
  /** dx[r, c] = dout[r] (sum), dout[r]/cols (mean), or dout[r] at argmax[r] else 0 (max). */
  reduceLastBwd: { op: 'sum' | 'mean' | 'max'; dout: S; dx: S; argmax: S | null; rows: number; cols: number };
  /** out[i, :] = table[ids[i], :]; table (V, C), ids i32 (N), out (N, C). */
  embedding: { table: S; ids: S; out: S; n: number; c: number; v: number };
  /** dtable[ids[i], :] += dout[i, :] (scatter-add; dtable is not cleared). */
  embeddingBwd: { dout: S; ids: S; dtable: S; n: number; c: number; v: number };
  /** LayerNorm over rows of C; saves mean and rstd (N). */
  layerNorm: { x: S; w: S; b: S; out: S; mean: S; rstd: S; rows: number; c: number; eps: number };
  /** Writes dx; adds into dw and db (zero them first for a fresh gradient). */
  layerNormBwd: {
    dout: S; x: S; w: S; mean: S; rstd: S; dx: S; dw: S; db: S; rows: number; c: number;
  };
  /** RMSNorm over rows of C; saves rstd (N). */
  rmsNorm: { x: S; w: S; out: S; rstd: S; rows: number; c: number; eps: number };
  /** Writes dx; adds into dw. */
  rmsNormBwd: { dout: S; x: S; w: S; rstd: S; dx: S; dw: S; rows: number; c: number };
  /** Fused residual: s = x + r (written), out = LayerNorm(s), mean / rstd saved. */
  addLayerNorm: {
    x: S; r: S; s: S; w: S; b: S; out: S; mean: S; rstd: S; rows: number; c: number; eps: number;
  };
  /** Fused residual: s = x + r (written), out = RMSNorm(s), rstd saved. */
  addRmsNorm: { x: S; r: S; s: S; w: S; out: S; rstd: S; rows: number; c: number; eps: number };
  /** out = gelu_tanh(x + bias) (bias (C) broadcast over rows; null = no bias) or silu(x). */
  activation: { op: 'gelu' | 'silu'; x: S; bias: S | null; out: S; rows: number; c: number };
  /** dx = dout * act'(x + bias). */
  activationBwd: { op: 'gelu' | 'silu'; x: S; bias: S | null; dout: S; dx: S; rows: number; c: number };
  /** RoPE on x (B, T, H, D), HF rotate-half; inverse rotates by -angle (the backward). */
  rope: {
    x: S; out: S; b: number; t: number; h: number; d: number;
    pos0: number; theta: number; inverse: boolean;
  };
  /**
   * Causal (or full) attention with grouped-query heads; lse (B, H, T) saved. k and v hold
   * `tk` rows per batch item (a KV cache's capacity) of which S = pastLen + t are read; query
   * row i sits at position pastLen + i and, when causal, sees keys 0..pastLen + i.
   */
  attention: {
    q: S; k: S; v: S; out: S; lse: S;
    b: number; t: number; tk: number; h: number; hkv: number; d: number;
    scale: number; causal: boolean; pastLen: number;
  };
  attentionBwd: {
    q: S; k: S; v: S; out: S; lse: S; dout: S; dq: S; dk: S; dv: S;
    b: number; t: number; tk: number; h: number; hkv: number; d: number;
    scale: number; causal: boolean; pastLen: number;
  };
  /** Softmax over rows of `cols`. */
  softmax: { x: S; out: S; rows: number; cols: number };
  /** dx = y * (dy - sum(dy * y)). */
  softmaxBwd: { y: S; dy: S; dx: S; rows: number; cols: number };
  /** loss[0] = mean over rows with target != ignoreIndex of lse - logit[target]; lse (N) saved. */
  crossEntropy: { logits: S; targets: S; loss: S; lse: S; rows: number; v: number; ignoreIndex: number };
  /** dlogits = (softmax - onehot) * dloss[0] / count (0 on ignored rows). */
  crossEntropyBwd: {
    logits: S; targets: S; lse: S; dloss: S; dlogits: S; rows: number; v: number; ignoreIndex: number;
  };
  /** out[i] = x[i] / (1 - p) where dropoutUniform(seed, offset + i) >= p, else 0. */
  dropout: { x: S; out: S; n: number; p: number; seed: number; offset: number };
  /** One AdamW step (decoupled weight decay, bias correction), step is 1-based. */
  adamw: {
    p: S; g: S; m: S; v: S; n: number; lr: number; beta1: number; beta2: number;
    eps: number; weightDecay: number; step: number;
  };
  /** out[0] = sum of x[i]^2 (+ out[0] when accumulate). */
  sumSquares: { x: S; out: S; n: number; accumulate: boolean };
}

export type KernelName = keyof KernelArgs<unknown>;

/** A kernel function. Method syntax keeps it bivariant, so Backend<X> is a Backend<unknown>. */
type Kernel<A> = { kernel(args: A): void }['kernel'];

/** The kernel table a backend provides: one function per kernel name. */
export type KernelTable<S> = { [K in KernelName]: Kernel<KernelArgs<S>[K]> };

/** Values read back from storage. Floats come back as f32 (f64 on the ref backend in f64 mode). */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint16Array;

/** What a backend reports about its memory; the memory test asserts these stay flat. */
export interface MemoryStats {
  bytesInUse: number;
  highWaterBytes: number;
  buffers: number;
}

/** A backend: storage management plus kernels. */
export interface Backend<S = unknown> {
  readonly name: BackendName;
  /** Number of threads kernels run on (1 for ref). */
  readonly threads: number;
  /** True when f32 storage holds float64 (ref backend, f64 mode). */
  readonly f64: boolean;
  /** Matmul precisions beyond fp32 that the kernels implement (absent: fp32 only). */
  readonly matmulPrecisions?: readonly MatmulPrecision[];
  alloc(dtype: DType, size: number): S;
  free(s: S): void;
  /**
   * A copy of the values. Floats (f32 / bf16 / f16) are returned converted to f32 — or f64
   * in f64 mode; i32 as Int32Array; u16 as Uint16Array.
   */
  read(s: S, dtype: DType, size: number): HostArray;
  /** Overwrites the values; floats given as numbers are converted to the storage dtype. */
  write(s: S, dtype: DType, data: ArrayLike<number>): void;
  /** Asynchronous read, for backends that have one (GPU backends; the only read in a browser). */
  readAsync?(s: S, dtype: DType, size: number): Promise<HostArray>;
  memory(): MemoryStats;
  readonly kernels: KernelTable<S>;
  /** Releases threads and memory. */
  dispose(): void;
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = { f32: 4, bf16: 2, f16: 2, i32: 4, u16: 2 };
