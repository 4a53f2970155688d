// Autoregressive generation: prefill the prompt, then one token at a time through the
// KV cache (or, for comparison, a full forward pass over the window each step), with
// the sampling rules of sampling.ts, streaming the ids as they come.

import type { Transformer } from './transformer.js';
import { Rng } from './rng.js';
import { sampleToken, type SamplingOptions } from './sampling.js';

/** Generation settings. */
export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  seed?: number;
  /** Ids that end generation (not included in the output), e.g. the end-of-text id. */
  stopIds?: number[];
  /** false: recompute the whole window every step (for the cache speed comparison). */
  useCache?: boolean;
  /** Called with each new id; return false to stop (e.g. a stop string matched). */
  onToken?: (id: number) => boolean | void;
}

/** What generation produced. */
export interface GenerateResult {
  ids: number[];
  /** 'stop' (a stop id or onToken said stop) or 'length'. */
  finishReason: 'stop' | 'length';
  seconds: number;
}

/**
 * Generates up to `maxTokens` ids after `prompt`. When the context fills, the cache is
 * rebuilt from the most recent half of the context so generation can continue.
 */
export function generate(model: Transformer, prompt: readonly number[], opts: GenerateOptions): GenerateResult {
  const { e, config } = model;
  if (prompt.length === 0) throw new RangeError('generate needs at least one prompt token');
  const rng = new Rng(opts.seed ?? 0);
  const stop = new Set(opts.stopIds ?? []);
  const all = [...prompt];
  const out: number[] = [];
  const useCache = opts.useCache ?? true;
  const start = performance.now();
  let finishReason: 'stop' | 'length' = 'length';
  const cache = useCache ? model.createCache(1) : undefined;
  try {
    // Logits (V) of the next token given `all`.
    let pending = all.slice(-config.context);
    let refill = true;
    while (out.length < opts.maxTokens) {
      const logits = e.noGrad(() =>
        e.scope(() => {
          if (!cache) return model.forward(Int32Array.from(all.slice(-config.context)), 1, Math.min(all.length, config.context), { lastOnly: true }).toArray();
          if (refill) {
            cache.length = 0;
            refill = false;
          }
          return model.forward(Int32Array.from(pending), 1, pending.length, { cache, lastOnly: true }).toArray();
        }),
      );
      const id = sampleToken(logits, opts, rng, all);
      if (stop.has(id)) {
        finishReason = 'stop';
        break;
      }
      all.push(id);
      out.push(id);
      if (opts.onToken?.(id) === false) {
        finishReason = 'stop';
        break;
      }
      if (cache) {
        if (cache.length + 1 > config.context) {
          pending = all.slice(-Math.max(1, Math.floor(config.context / 2)));
          refill = true;
        } else {
          pending = [id];
        }
      }
    }
  } finally {
    if (cache) model.disposeCache(cache);
  }
  return { ids: out, finishReason, seconds: (performance.now() - start) / 1000 };
}
