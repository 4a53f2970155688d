// The shape of an op definition: one shape rule, one forward rule (kernels), one backward
// rule (gradients of the inputs from gradients of the outputs), declared once per op.

import type { DType } from '../../backend/types.js';
import type { Engine } from '../engine.js';
import { ShapeError, fmt, type Tensor } from '../tensor.js';

/** Output shape and dtype from the shape rule. */
export interface OutSpec {
  shape: number[];
  dtype: DType;
}

/** An op: shape rule, forward (returns tensors saved for backward), backward. */
export interface OpDef<A> {
  /** The output is a view of input 0 (same storage), e.g. reshape. */
  view?: boolean;
  shape(inputs: readonly Tensor[], attrs: A): OutSpec[];
  forward(e: Engine, inputs: readonly Tensor[], outputs: readonly Tensor[], attrs: A): Tensor[];
  /** Omitted for ops that are never differentiated. Return null where no gradient flows. */
  backward?(
    e: Engine,
    grads: readonly (Tensor | null)[],
    inputs: readonly Tensor[],
    outputs: readonly Tensor[],
    attrs: A,
    saved: readonly Tensor[],
  ): (Tensor | null)[];
}

/** Throws a ShapeError naming the op and every input shape. */
export function shapeFail(op: string, inputs: readonly Tensor[], why: string): never {
  throw new ShapeError(`${op}: ${why} (got ${inputs.map((t) => `${fmt(t.shape)} ${t.dtype}`).join(', ')})`);
}

/** Requires every listed input to be f32. */
export function requireF32(op: string, inputs: readonly Tensor[]): void {
  for (const t of inputs) if (t.dtype !== 'f32') shapeFail(op, inputs, `inputs must be f32 (cast bf16 / f16 first)`);
}

/** Rows and last-axis length of a tensor: (..., C) -> [N, C]. */
export function rowsCols(t: Tensor): [number, number] {
  const c = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  return [c === 0 ? 0 : t.size / c, c];
}

/** The gradient, or zeros of the given tensor's shape when none flowed into this output. */
export function gradOrZeros(e: Engine, g: Tensor | null, like: Tensor): Tensor {
  return g ?? e.zeros(like.shape);
}
