// The engine: creates tensors on a backend, applies registered ops (recording the autograd
// graph), runs backward, and owns memory scopes. The public op methods at the bottom are thin
// calls into the op registry (ops/index.ts), where each op's shape, forward and backward rules
// live. See README.md for the API and the memory-ownership rule.

import type { Backend, DType, HostArray, KernelTable, MatmulPrecision } from '../backend/types.js';
import { AnvilError, UsageError } from '../util/errors.js';
import { collectTensors, topoOrder } from './graph.js';
import { adamw, adamwState, clipGradNorm, type AdamWOptions, type AdamWState } from './optim.js';
import { OPS, type OpAttrs, type OpName } from './ops/index.js';
import { NonFiniteError, ShapeError, Tensor, fmt, type SharedStorage, type TensorData } from './tensor.js';

/** One recorded op application: what backward needs to run its rule. */
export interface Node {
  op: OpName;
  inputs: Tensor[];
  outputs: Tensor[];
  attrs: unknown;
  saved: Tensor[];
}

/** Memory figures: live tensors and the backend's bytes in use and high-water mark. */
export interface EngineMemory {
  liveTensors: number;
  bytesInUse: number;
  highWaterBytes: number;
}

/** The tensor engine on one backend. Create it with `createEngine` (index.ts). */
export class Engine {
  /** @internal kernels of the backend. */
  readonly k: KernelTable<unknown>;
  private readonly scopes: Set<Tensor>[] = [];
  private readonly live = new Set<Tensor>();
  private gradEnabled = true;
  private rngSeed = 0;
  private rngCounter = 0;
  private activeGrads: Map<Tensor, Tensor> | null = null;

  /** Arithmetic of every matmul (set by createEngine): fp32, or bf16 products with f32 sums. */
  matmulPrecision: MatmulPrecision = 'fp32';

  constructor(readonly backend: Backend) {
    // A copy of the table, so that `profile` can wrap its entries without touching the backend.
    this.k = { ...backend.kernels };
  }

  /** Backend name ('ref' or 'cpu'). */
  get backendName(): string {
    return this.backend.name;
  }

  // ---- creation -------------------------------------------------------------------------

  /** A tensor from host data; dtype defaults from the array type (Int32Array -> i32, Uint16Array -> u16, else f32). */
  tensor(data: TensorData, shape: readonly number[], dtype?: DType | { dtype?: DType; requiresGrad?: boolean }): Tensor {
    const opts = typeof dtype === 'string' ? { dtype } : (dtype ?? {});
    const dt: DType = opts.dtype ?? (data instanceof Int32Array ? 'i32' : data instanceof Uint16Array ? 'u16' : 'f32');
    const t = this.empty(shape, dt);
    if (data.length !== t.size) {
      t.dispose();
      throw new ShapeError(`tensor: ${data.length} values do not fill shape ${fmt(shape)} (${t.size} elements)`);
    }
    this.backend.write(t.handle, dt, data);
    t.requiresGrad = opts.requiresGrad ?? false;
    return t;
  }

  /** A tensor of zeros. */
  zeros(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.full(shape, 0, dtype);
  }

  /** A tensor filled with one value. */
  full(shape: readonly number[], value: number, dtype: DType = 'f32'): Tensor {
    const t = this.empty(shape, dtype);
    if (dtype === 'f32') this.k.fill({ out: t.handle, n: t.size, value });
    else this.backend.write(t.handle, dtype, new Float64Array(t.size).fill(value));
    return t;
  }

  /** A persistent f32 parameter (requires grad), from data or a constant fill. */
  param(init: TensorData | number, shape: readonly number[], name: string): Tensor {
    return this.persistent(() => {
      const t = typeof init === 'number' ? this.full(shape, init) : this.tensor(init, shape, 'f32');
      t.requiresGrad = true;
      t.name = name;
      return t;
    });
  }

  /** Overwrites a tensor's values in place (e.g. loading weights or optimizer state). */
  write(t: Tensor, data: TensorData): void {
    if (data.length !== t.size) throw new ShapeError(`write: ${data.length} values for tensor ${fmt(t.shape)}`);
    this.backend.write(t.handle, t.dtype, data);
  }

  /** @internal an uninitialised tensor owned by the current scope. */
  empty(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid shape ${fmt(shape)}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const storage: SharedStorage = { handle: this.backend.alloc(dtype, size), refs: 1 };
    return this.adopt(new Tensor(this, [...shape], dtype, storage));
  }

  /** @internal a view of `t` with another shape, sharing its storage. */
  view(t: Tensor, shape: readonly number[]): Tensor {
    void t.handle;
    t.storage.refs++;
    return this.adopt(new Tensor(this, [...shape], t.dtype, t.storage, t.requiresGrad));
  }

  private adopt(t: Tensor): Tensor {
    this.live.add(t);
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) {
      scope.add(t);
      t.scope = scope;
    }
    return t;
  }

  /** @internal called by Tensor.dispose. */
  release(t: Tensor): void {
    this.live.delete(t);
    t.scope?.delete(t);
    t.scope = null;
    if (--t.storage.refs === 0) this.backend.free(t.storage.handle);
  }

  /** @internal host copy of a tensor's values. */
  readHost(t: Tensor): HostArray {
    return this.backend.read(t.handle, t.dtype, t.size);
  }

  // ---- scopes, grad mode, memory --------------------------------------------------------

  /**
   * Runs fn; every tensor created inside is freed when it returns, except tensors reachable
   * from its return value (arrays and plain objects are searched), which move to the
   * enclosing scope. If fn throws, everything created inside is freed.
   */
  scope<R>(fn: () => R): R {
    const own = new Set<Tensor>();
    this.scopes.push(own);
    let result: R;
    try {
      result = fn();
      if (result instanceof Promise) throw new UsageError('engine.scope: the callback must be synchronous');
    } catch (err) {
      this.scopes.pop();
      for (const t of [...own]) t.dispose();
      throw err;
    }
    this.scopes.pop();
    const keep = new Set<Tensor>();
    collectTensors(result, keep, 0);
    const parent = this.scopes[this.scopes.length - 1] ?? null;
    for (const t of [...own]) {
      if (keep.has(t)) {
        own.delete(t);
        t.scope = parent;
        parent?.add(t);
      } else {
        t.dispose();
      }
    }
    return result;
  }

  /** Moves a tensor out of every scope: it persists until disposed. Returns it. */
  keep(t: Tensor): Tensor {
    t.scope?.delete(t);
    t.scope = null;
    return t;
  }

  /** Runs fn without recording a graph (generation, evaluation, optimizer updates). */
  noGrad<R>(fn: () => R): R {
    const prev = this.gradEnabled;
    this.gradEnabled = false;
    try {
      return fn();
    } finally {
      this.gradEnabled = prev;
    }
  }

  /** @internal runs fn with no scope open, so what it creates persists. */
  persistent<R>(fn: () => R): R {
    const saved = this.scopes.splice(0, this.scopes.length);
    try {
      return fn();
    } finally {
      this.scopes.push(...saved);
    }
  }

  /** Live tensors and backend memory; the 1,000-step test asserts both stay flat. */
  memory(): EngineMemory {
    const m = this.backend.memory();
    return { liveTensors: this.live.size, bytesInUse: m.bytesInUse, highWaterBytes: m.highWaterBytes };
  }

  /**
   * Runs fn and reports the time spent in each kernel (synchronous backends), to show where a
   * step's time goes. Keys are kernel names; matmul and binary also by op.
   */
  profile<R>(fn: () => R): { result: R; kernels: Record<string, { calls: number; ms: number }> } {
    const stats: Record<string, { calls: number; ms: number }> = {};
    const table = this.k as unknown as Record<string, (a: unknown) => void>;
    const saved = { ...table };
    for (const [name, f] of Object.entries(saved)) {
      table[name] = (a: unknown) => {
        const t0 = performance.now();
        f(a);
        const key = name === 'binary' ? `binary.${(a as { op: string }).op}` : name;
        const s = (stats[key] ??= { calls: 0, ms: 0 });
        s.calls++;
        s.ms += performance.now() - t0;
      };
    }
    try {
      return { result: fn(), kernels: stats };
    } finally {
      Object.assign(table, saved);
    }
  }

  /** Seeds the dropout RNG (counter-based; the state is { seed, counter }). */
  seed(seed: number): void {
    this.rngSeed = seed >>> 0;
    this.rngCounter = 0;
  }

  /** The dropout RNG state, to save in a checkpoint and restore on resume. */
  get rngState(): { seed: number; counter: number } {
    return { seed: this.rngSeed, counter: this.rngCounter };
  }

  set rngState(s: { seed: number; counter: number }) {
    this.rngSeed = s.seed >>> 0;
    this.rngCounter = s.counter;
  }

  /** @internal reserves n counters of the dropout RNG. */
  nextRng(n: number): { seed: number; offset: number } {
    const offset = this.rngCounter;
    this.rngCounter = (this.rngCounter + n) % 2 ** 32;
    return { seed: this.rngSeed, offset };
  }

  /** Throws NonFiniteError naming the step when a loss is NaN or infinite. */
  assertFinite(value: number, step: number, what = 'loss'): void {
    if (!Number.isFinite(value)) throw new NonFiniteError(`${what} is ${value} at step ${step}`);
  }

  /** Frees the backend (threads, memory). The engine is unusable afterwards. */
  dispose(): void {
    for (const t of [...this.live]) t.markDisposed();
    this.live.clear();
    this.backend.dispose();
  }

  // ---- autograd -------------------------------------------------------------------------

  /** @internal applies a registered op: shape rule, forward kernels, graph recording. */
  apply<P extends OpName>(op: P, inputs: Tensor[], attrs: OpAttrs[P]): Tensor[] {
    const def = OPS[op] as unknown as OpDefAny;
    for (const t of inputs) void t.handle;
    const specs = def.shape(inputs, attrs);
    const outputs = specs.map((s) => (def.view ? this.view(inputs[0], s.shape) : this.empty(s.shape, s.dtype)));
    let saved: Tensor[];
    try {
      saved = def.forward(this, inputs, outputs, attrs);
    } catch (err) {
      for (const o of outputs) o.dispose();
      throw err;
    }
    const record = this.gradEnabled && def.backward !== undefined && inputs.some((t) => t.requiresGrad);
    if (record) {
      const node: Node = { op, inputs, outputs, attrs, saved };
      for (const o of outputs) {
        o.requiresGrad = o.dtype === 'f32' || o.dtype === 'bf16' || o.dtype === 'f16';
        o.node = node;
      }
    } else {
      for (const o of outputs) o.requiresGrad = false;
      for (const s of saved) s.dispose();
    }
    return outputs;
  }

  /**
   * @internal the buffer a backward rule adds t's gradient into, in place: the persistent
   * `.grad` of a leaf, else t's entry in the gradient map of the running backward pass
   * (created as zeros). A rule that uses it returns null for t. Saves a temporary and an add
   * for gradients that arrive in parts (qkv slices, norm weights, embedding rows).
   */
  gradSink(t: Tensor): Tensor {
    if (t.node === null) return this.leafGrad(t);
    if (!this.activeGrads) throw new AnvilError('gradSink outside a backward pass');
    let g = this.activeGrads.get(t);
    if (g && g.storage.refs > 1) {
      const own = this.copy(g); // shared with another gradient: never add into it in place
      g.dispose();
      this.activeGrads.set(t, own);
      g = own;
    }
    if (!g) {
      g = this.zeros(t.shape);
      this.activeGrads.set(t, g);
    }
    return g;
  }

  private leafGrad(t: Tensor): Tensor {
    if (!t.grad) t.grad = this.persistent(() => this.zeros(t.shape));
    return t.grad;
  }

  /** @internal reverse-mode autograd from a one-element tensor. */
  backward(loss: Tensor): void {
    if (loss.size !== 1) throw new ShapeError(`backward: loss must have one element, got shape ${fmt(loss.shape)}`);
    void loss.handle;
    if (!loss.requiresGrad) throw new AnvilError('backward: the loss does not depend on any tensor that requires grad');
    const order = topoOrder(loss);
    const grads = new Map<Tensor, Tensor>();
    this.activeGrads = grads;
    try {
      this.backwardPass(loss, order, grads);
    } finally {
      this.activeGrads = null;
    }
  }

  private backwardPass(loss: Tensor, order: Node[], grads: Map<Tensor, Tensor>): void {
    this.noGrad(() => {
      grads.set(loss, this.full(loss.shape, 1));
      for (let i = order.length - 1; i >= 0; i--) {
        const node = order[i];
        const gOut = node.outputs.map((o) => grads.get(o) ?? null);
        if (gOut.every((g) => g === null)) continue;
        for (const o of node.outputs) grads.delete(o);
        const def = OPS[node.op] as unknown as OpDefAny;
        const gIn = def.backward!(this, gOut, node.inputs, node.outputs, node.attrs, node.saved);
        const stored = new Set<Tensor>();
        node.inputs.forEach((input, j) => {
          const g = gIn[j];
          if (!g || !input.requiresGrad) return;
          if (!sameShape(g.shape, input.shape)) {
            throw new ShapeError(`backward of ${node.op}: gradient ${fmt(g.shape)} for input ${fmt(input.shape)}`);
          }
          const existing = grads.get(input);
          if (existing && existing.storage.refs === 1) {
            this.k.binary({ op: 'add', a: existing.handle, b: g.handle, out: existing.handle, shape: [g.size], aShape: [g.size], bShape: [g.size] });
          } else if (existing) {
            // Its storage is shared with another gradient: add out of place.
            const sum = this.empty(existing.shape);
            this.k.binary({ op: 'add', a: existing.handle, b: g.handle, out: sum.handle, shape: [g.size], aShape: [g.size], bShape: [g.size] });
            existing.dispose();
            grads.set(input, sum);
            stored.add(sum);
          } else {
            // One gradient feeding two inputs (a residual) is shared through a view, not copied;
            // whoever later adds into it in place copies first (refs > 1).
            const shared = [...grads.values()].some((v) => v.storage === g.storage) || stored.has(g);
            const own = shared ? this.view(g, g.shape) : g;
            grads.set(input, own);
            stored.add(own);
          }
        });
        for (const g of [...gOut, ...gIn]) if (g && !stored.has(g)) g.dispose();
      }
      for (const [t, g] of grads) {
        if (t.node !== null || !t.requiresGrad) {
          g.dispose();
          continue;
        }
        if (!t.grad && g.storage.refs === 1) {
          this.keep(g);
          t.grad = g;
        } else {
          const dst = this.leafGrad(t);
          this.k.binary({ op: 'add', a: dst.handle, b: g.handle, out: dst.handle, shape: [g.size], aShape: [g.size], bShape: [g.size] });
          g.dispose();
        }
      }
    });
  }

  /** @internal a fresh copy of a tensor. */
  copy(t: Tensor): Tensor {
    const out = this.empty(t.shape, t.dtype);
    this.k.copy2d({ src: t.handle, srcOff: 0, srcStride: t.size, dst: out.handle, dstOff: 0, dstStride: t.size, rows: 1, cols: t.size, accumulate: false });
    return out;
  }

  /** Sets the gradients of params to zero (keeping their buffers). */
  zeroGrad(params: readonly Tensor[]): void {
    for (const p of params) if (p.grad) this.k.fill({ out: p.grad.handle, n: p.size, value: 0 });
  }

  // ---- optimizer (optim.ts) ----------------------------------------------------------------

  /** Fresh AdamW state (zero moments) for params; persistent. */
  adamwState(params: readonly Tensor[]): AdamWState {
    return adamwState(this, params);
  }

  /** One fused AdamW step over every param that has a gradient. */
  adamw(params: readonly Tensor[], state: AdamWState, o: AdamWOptions): void {
    adamw(this, params, state, o);
  }

  /** Scales all gradients so that their global L2 norm is at most maxNorm; returns the norm before clipping. */
  clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
    return clipGradNorm(this, params, maxNorm);
  }

  // ---- ops (see ops/*.ts for the rules) ---------------------------------------------------

  /** Batched matmul: a (..., M, K) · b (..., K, N) or shared b (K, N); transposes on the last two axes. */
  matmul(a: Tensor, b: Tensor, o: { transA?: boolean; transB?: boolean } = {}): Tensor {
    return this.apply('matmul', [a, b], { transA: o.transA ?? false, transB: o.transB ?? false })[0];
  }
  /** a + b with numpy broadcasting. */
  add(a: Tensor, b: Tensor): Tensor {
    return this.apply('binary', [a, b], { op: 'add' })[0];
  }
  /** a - b with numpy broadcasting. */
  sub(a: Tensor, b: Tensor): Tensor {
    return this.apply('binary', [a, b], { op: 'sub' })[0];
  }
  /** a * b with numpy broadcasting. */
  mul(a: Tensor, b: Tensor): Tensor {
    return this.apply('binary', [a, b], { op: 'mul' })[0];
  }
  /** a / b with numpy broadcasting. */
  div(a: Tensor, b: Tensor): Tensor {
    return this.apply('binary', [a, b], { op: 'div' })[0];
  }
  /** a + s. */
  addScalar(a: Tensor, s: number): Tensor {
    return this.apply('affine', [a], { mul: 1, add: s })[0];
  }
  /** a * s. */
  mulScalar(a: Tensor, s: number): Tensor {
    return this.apply('affine', [a], { mul: s, add: 0 })[0];
  }
  /** Sum over the last axis. */
  sum(x: Tensor): Tensor {
    return this.apply('reduceLast', [x], { op: 'sum' })[0];
  }
  /** Mean over the last axis. */
  mean(x: Tensor): Tensor {
    return this.apply('reduceLast', [x], { op: 'mean' })[0];
  }
  /** Max over the last axis (the gradient goes to the first maximum). */
  max(x: Tensor): Tensor {
    return this.apply('reduceLast', [x], { op: 'max' })[0];
  }
  /** A view with another shape (one -1 allowed). */
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    return this.apply('reshape', [x], { shape: [...shape] })[0];
  }
  /** x[..., start:end] along the last axis (a copy). */
  slice(x: Tensor, start: number, end: number): Tensor {
    return this.apply('slice', [x], { start, end })[0];
  }
  /** Rows of table (V, C) picked by i32 ids (...) -> (..., C). */
  embedding(table: Tensor, ids: Tensor): Tensor {
    return this.apply('embedding', [table, ids], {})[0];
  }
  /** LayerNorm over the last axis with weight and bias (C). */
  layerNorm(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): Tensor {
    return this.apply('layerNorm', [x, w, b], { eps })[0];
  }
  /** RMSNorm over the last axis with weight (C). */
  rmsNorm(x: Tensor, w: Tensor, eps = 1e-6): Tensor {
    return this.apply('rmsNorm', [x, w], { eps })[0];
  }
  /** Fused residual add + LayerNorm: returns [x + r, LayerNorm(x + r)]. */
  addLayerNorm(x: Tensor, r: Tensor, w: Tensor, b: Tensor, eps = 1e-5): [Tensor, Tensor] {
    const [s, y] = this.apply('addLayerNorm', [x, r, w, b], { eps });
    return [s, y];
  }
  /** Fused residual add + RMSNorm: returns [x + r, RMSNorm(x + r)]. */
  addRmsNorm(x: Tensor, r: Tensor, w: Tensor, eps = 1e-6): [Tensor, Tensor] {
    const [s, y] = this.apply('addRmsNorm', [x, r, w], { eps });
    return [s, y];
  }
  /** GELU, tanh approximation. */
  gelu(x: Tensor): Tensor {
    return this.apply('activation', [x], { op: 'gelu' })[0];
  }
  /** SiLU (x * sigmoid(x)). */
  silu(x: Tensor): Tensor {
    return this.apply('activation', [x], { op: 'silu' })[0];
  }
  /** Fused gelu(x + b), b (C) broadcast over the last axis. */
  biasGelu(x: Tensor, b: Tensor): Tensor {
    return this.apply('activation', [x, b], { op: 'gelu' })[0];
  }
  /** Softmax over the last axis. */
  softmax(x: Tensor): Tensor {
    return this.apply('softmax', [x], {})[0];
  }
  /** RoPE (HF Llama rotate-half) on x (B, T, H, D); pos0 is the position of row 0. */
  rope(x: Tensor, o: { pos0?: number; theta?: number } = {}): Tensor {
    return this.apply('rope', [x], { pos0: o.pos0 ?? 0, theta: o.theta ?? 10000 })[0];
  }
  /** Fused attention: q (B, T, H, D), k / v (B, Tk, Hkv, D) -> (B, T, H, D). */
  attention(q: Tensor, k: Tensor, v: Tensor, o: { causal?: boolean; pastLen?: number; scale?: number } = {}): Tensor {
    const d = q.shape[q.shape.length - 1];
    return this.apply('attention', [q, k, v], {
      causal: o.causal ?? true, pastLen: o.pastLen ?? 0, scale: o.scale ?? 1 / Math.sqrt(d),
    })[0];
  }
  /** Mean softmax cross-entropy of logits (..., V) against i32 targets (...), skipping ignoreIndex. */
  crossEntropy(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
    return this.apply('crossEntropy', [logits, targets], { ignoreIndex })[0];
  }
  /** Dropout with probability p (p = 0 returns x itself). */
  dropout(x: Tensor, p: number): Tensor {
    if (!(p >= 0 && p < 1)) throw new UsageError(`dropout: p must be in [0, 1), got ${p}`);
    if (p === 0) return x;
    return this.apply('dropout', [x], { p, ...this.nextRng(x.size) })[0];
  }
  /** Converts to another dtype (bf16 / f16 storage, ints). */
  cast(x: Tensor, dtype: DType): Tensor {
    return this.apply('cast', [x], { dtype })[0];
  }
  /** Writes src (B, T, ...) into dst (B, Tmax, ...) at time `start` (KV cache); not differentiable. */
  copyInto(dst: Tensor, src: Tensor, start: number): void {
    const rest = dst.shape.slice(2);
    const ok = dst.shape.length === src.shape.length && dst.shape[0] === src.shape[0] && sameShape(rest, src.shape.slice(2));
    if (!ok || start < 0 || start + src.shape[1] > dst.shape[1] || dst.dtype !== src.dtype) {
      throw new ShapeError(`copyInto: cannot write ${fmt(src.shape)} ${src.dtype} into ${fmt(dst.shape)} ${dst.dtype} at time ${start}`);
    }
    const inner = rest.reduce((a, b) => a * b, 1);
    this.k.copy2d({
      src: src.handle, srcOff: 0, srcStride: src.shape[1] * inner,
      dst: dst.handle, dstOff: start * inner, dstStride: dst.shape[1] * inner,
      rows: dst.shape[0], cols: src.shape[1] * inner, accumulate: false,
    });
  }
}

/** The loosely typed view of an op definition the engine uses internally. */
interface OpDefAny {
  view?: boolean;
  shape(inputs: readonly Tensor[], attrs: unknown): { shape: number[]; dtype: DType }[];
  forward(e: Engine, inputs: readonly Tensor[], outputs: readonly Tensor[], attrs: unknown): Tensor[];
  backward?(e: Engine, grads: readonly (Tensor | null)[], inputs: readonly Tensor[], outputs: readonly Tensor[], attrs: unknown, saved: readonly Tensor[]): (Tensor | null)[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

