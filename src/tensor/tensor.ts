// The Tensor handle: shape, dtype, storage owned by a backend, and the autograd links
// (`grad`, the node that created it). Storage is reference-counted so that `reshape` can
// return a view; a tensor is freed by `dispose()` or by the scope that owns it.

import type { DType, HostArray } from '../backend/types.js';
import { AnvilError } from '../util/errors.js';
import type { Engine, Node } from './engine.js';

/** A shape that does not fit an op; the message names the op and every shape involved. */
export class ShapeError extends AnvilError {
  override name = 'ShapeError';
}

/** A tensor used after it was disposed (explicitly, or by the end of its scope). */
export class TensorDisposedError extends AnvilError {
  override name = 'TensorDisposedError';
}

/** A loss (or other value) that became NaN or infinite. */
export class NonFiniteError extends AnvilError {
  override name = 'NonFiniteError';
}

/** Backend storage shared by a tensor and its reshaped views. */
export interface SharedStorage {
  handle: unknown;
  refs: number;
}

/** Formats a shape for messages: [2, 3]. */
export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

let nextId = 1;

/** A tensor: row-major, contiguous, living in the engine's backend. */
export class Tensor {
  readonly id = nextId++;
  /** Number of elements. */
  readonly size: number;
  /** Accumulated gradient (params and other leaves with requiresGrad), or null. */
  grad: Tensor | null = null;
  /** @internal the op application that produced this tensor (null for leaves). */
  node: Node | null = null;
  /** @internal the scope that owns this tensor (null: persistent). */
  scope: Set<Tensor> | null = null;
  private disposed = false;

  constructor(
    readonly engine: Engine,
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** @internal */ readonly storage: SharedStorage,
    public requiresGrad = false,
    public name = '',
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  /** The backend holding the storage ('cpu', 'ref', ...). */
  get device(): string {
    return this.engine.backendName;
  }

  /** True once the tensor has been freed. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal the backend handle; throws if the tensor was disposed. */
  get handle(): unknown {
    if (this.disposed) {
      throw new TensorDisposedError(
        `tensor ${this.name || '#' + this.id} ${fmt(this.shape)} ${this.dtype} was used after it was disposed (its scope ended or dispose() was called)`,
      );
    }
    return this.storage.handle;
  }

  /** Values as a Float32Array (ints converted); synchronous on cpu and ref. */
  toArray(): Float32Array {
    const v = this.engine.readHost(this);
    return v instanceof Float32Array ? v : Float32Array.from(v);
  }

  /** Values as float64 (exact on the ref backend in f64 mode; used by gradient checks). */
  toF64(): Float64Array {
    return Float64Array.from(this.engine.readHost(this));
  }

  /** Values as an Int32Array (floats truncated). */
  toInt32(): Int32Array {
    const v = this.engine.readHost(this);
    return v instanceof Int32Array ? v : Int32Array.from(v, (x) => Math.trunc(x));
  }

  /** The single value of a one-element tensor. */
  item(): number {
    void this.handle;
    if (this.size !== 1) throw new ShapeError(`item(): tensor ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return this.engine.readHost(this)[0];
  }

  /** Values as a Float32Array; works on every backend (GPU backends read back asynchronously). */
  async read(): Promise<Float32Array> {
    const b = this.engine.backend;
    if (b.readAsync && this.dtype !== 'i32' && this.dtype !== 'u16') {
      const v = await b.readAsync(this.handle, this.dtype, this.size);
      return v instanceof Float32Array ? v : Float32Array.from(v);
    }
    return this.toArray();
  }

  /** Runs reverse-mode autograd from this one-element tensor; fills (adds to) `.grad` of leaves. */
  backward(): void {
    this.engine.backward(this);
  }

  /** Frees the storage now (idempotent); views keep shared storage alive until they go too. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.release(this);
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** @internal mark disposed without touching storage (engine bookkeeping). */
  markDisposed(): void {
    this.disposed = true;
  }
}

/** Anything a scope may return: tensors are found inside arrays and plain objects. */
export type ScopeResult = unknown;

/** Host data accepted by `engine.tensor`. */
export type TensorData = HostArray | ArrayLike<number>;
