// The defaults `anvil train` and `anvil demo` show in their help, apart from the code that
// uses them: printing a help loads this small module, not the trainer and its stacks.

import type { Family } from '../plan/architecture.js';

/** Defaults for the optional training settings (nanoGPT-like). */
export const TRAIN_DEFAULTS = {
  family: 'llama' as Family, depth: 4, batch: 8, gradAccum: 1, steps: 1000, lr: 1e-3, minLr: 1e-4, warmup: 100,
  decay: 'cosine' as const, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, clip: 1.0, evalEvery: 100, evalWindows: 64,
  saveEvery: 500, keep: 2, seed: 1337, windows: 'random' as const,
};

/** `anvil demo`'s defaults: three minutes, all 500 Brown files, a 4,096-token vocabulary. */
export const DEMO_DEFAULTS = { seconds: 180, docs: 500, vocabSize: 4096, seed: 1337 };
