// Public entry of the tensor engine: createEngine plus the types callers need.
// See README.md in this folder for the API and the memory-ownership rule.

import { createBackend, type BackendOptions } from '../backend/index.js';
import type { BackendName, MatmulPrecision } from '../backend/types.js';
import { UsageError } from '../util/errors.js';
import { Engine } from './engine.js';

export { Engine, type EngineMemory } from './engine.js';
export type { AdamWOptions, AdamWState } from './optim.js';
export { NonFiniteError, ShapeError, Tensor, TensorDisposedError } from './tensor.js';
export type { DType } from '../backend/types.js';

/** Options of `createEngine`. */
export interface EngineOptions extends BackendOptions {
  /** 'cpu' (default), 'ref', 'native' or 'webgpu'. */
  backend?: BackendName;
  /** Matmul arithmetic: 'fp32' (default) or 'bf16' products with f32 accumulation (native only). */
  matmul?: MatmulPrecision;
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
  const backend = await createBackend(opts.backend ?? 'cpu', opts);
  const precision = opts.matmul ?? 'fp32';
  if (precision !== 'fp32' && !backend.matmulPrecisions?.includes(precision)) {
    backend.dispose();
    throw new UsageError(`${precision} matmul is not offered by the ${backend.name} backend (it is by: native)`);
  }
  const e = new Engine(backend);
  e.matmulPrecision = precision;
  return e;
}
