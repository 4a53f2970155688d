// Public entry of the tensor engine: createEngine plus the types callers need.
// See README.md in this folder for the API and the memory-ownership rule.

import { createBackend, type BackendOptions } from '../backend/index.js';
import type { BackendName } from '../backend/types.js';
import { Engine } from './engine.js';

export { Engine, type EngineMemory } from './engine.js';
export type { AdamWOptions, AdamWState } from './optim.js';
export { NonFiniteError, ShapeError, Tensor, TensorDisposedError } from './tensor.js';
export type { DType } from '../backend/types.js';

/** Options of `createEngine`. */
export interface EngineOptions extends BackendOptions {
  /** 'cpu' (default) or 'ref'. */
  backend?: BackendName;
}

/**
 * Creates an engine on a backend.
 * @example
 *   const e = await createEngine({ backend: 'cpu', threads: 2 });
 *   const y = e.matmul(e.tensor([1, 2, 3, 4], [2, 2]), e.tensor([1, 0, 0, 1], [2, 2]));
 *   y.toArray(); // Float32Array [1, 2, 3, 4]
 *   e.dispose();
 */
export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  return new Engine(await createBackend(opts.backend ?? 'cpu', opts));
}
