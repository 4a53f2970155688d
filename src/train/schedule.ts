// Learning-rate schedule: linear warmup, then cosine or linear decay to a minimum,
// as nanoGPT and most pretraining recipes do.

/** Schedule settings; steps count optimizer updates. */
export interface Schedule {
  lr: number;
  minLr: number;
  warmup: number;
  /** Total steps; decay ends here. */
  steps: number;
  decay: 'cosine' | 'linear' | 'constant';
}

/**
 * The learning rate for a 0-based step.
 * @example learningRate(0, { lr: 1e-3, minLr: 1e-4, warmup: 10, steps: 100, decay: 'cosine' }) // 1e-4
 */
export function learningRate(step: number, s: Schedule): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  if (s.decay === 'constant' || s.steps <= s.warmup) return s.lr;
  const f = Math.min(1, (step - s.warmup) / Math.max(1, s.steps - 1 - s.warmup));
  const coeff = s.decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * f)) : 1 - f;
  return s.minLr + coeff * (s.lr - s.minLr);
}
