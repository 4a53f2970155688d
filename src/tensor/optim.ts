// Optimizer steps over parameter gradients: fused AdamW (decoupled weight decay, bias
// correction) and global-norm gradient clipping. Both run backend kernels in place.

import { UsageError } from '../util/errors.js';
import type { Engine } from './engine.js';
import type { Tensor } from './tensor.js';

/** AdamW state: first and second moments per param and the number of steps done. */
export interface AdamWState {
  step: number;
  m: Tensor[];
  v: Tensor[];
}

/** AdamW hyperparameters; weightDecay may depend on the param (no decay on norms and biases). */
export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number | ((p: Tensor) => number);
}

/** Fresh AdamW state (zero moments) for params; persistent. */
export function adamwState(e: Engine, params: readonly Tensor[]): AdamWState {
  return e.persistent(() => ({ step: 0, m: params.map((p) => e.zeros(p.shape)), v: params.map((p) => e.zeros(p.shape)) }));
}

/** One fused AdamW step over every param that has a gradient. */
export function adamw(e: Engine, params: readonly Tensor[], state: AdamWState, o: AdamWOptions): void {
  if (state.m.length !== params.length) throw new UsageError(`adamw: state has ${state.m.length} entries for ${params.length} params`);
  state.step++;
  params.forEach((p, i) => {
    if (!p.grad) return;
    const wd = typeof o.weightDecay === 'function' ? o.weightDecay(p) : (o.weightDecay ?? 0);
    e.k.adamw({
      p: p.handle, g: p.grad.handle, m: state.m[i].handle, v: state.v[i].handle, n: p.size,
      lr: o.lr, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8, weightDecay: wd, step: state.step,
    });
  });
}

/** Scales all gradients so that their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(e: Engine, params: readonly Tensor[], maxNorm: number): number {
  const norm = Math.sqrt(gradSquares(e, params));
  if (norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of params) if (p.grad) e.k.affine({ a: p.grad.handle, out: p.grad.handle, n: p.size, mul: s, add: 0 });
  }
  return norm;
}

/** Sum of squares of every gradient. */
function gradSquares(e: Engine, params: readonly Tensor[]): number {
  return e.persistent(() => {
    const acc = e.zeros([1]);
    try {
      let first = true;
      for (const p of params) {
        if (!p.grad) continue;
        e.k.sumSquares({ x: p.grad.handle, out: acc.handle, n: p.size, accumulate: !first });
        first = false;
      }
      return acc.item();
    } finally {
      acc.dispose();
    }
  });
}
