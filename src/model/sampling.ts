// Choosing the next token from logits: repetition penalty, temperature, top-k, top-p,
// a seeded RNG, and stop strings that hold back text while it may still become a stop.

import { Rng } from './rng.js';

/** Sampling settings; temperature 0 means greedy (argmax). */
export interface SamplingOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  /** > 1 discourages tokens already seen (CTRL/transformers rule: divide positive logits, multiply negative ones). */
  repetitionPenalty?: number;
}

/**
 * Picks a token id from one row of logits (V).
 * @param history ids already in the context (prompt and generated), for the repetition penalty.
 */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng, history: ArrayLike<number> = []): number {
  const V = logits.length;
  const x = Float64Array.from(logits as ArrayLike<number>);
  const penalty = opts.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    const seen = new Set<number>();
    for (let i = 0; i < history.length; i++) seen.add(history[i]!);
    for (const id of seen) if (id >= 0 && id < V) x[id] = x[id]! > 0 ? x[id]! / penalty : x[id]! * penalty;
  }
  const temperature = opts.temperature ?? 1;
  if (temperature <= 0) return argmax(x);
  // Candidate ids sorted by logit, best first; top-k trims before softmax.
  let order = Array.from({ length: V }, (_, i) => i).sort((a, b) => x[b]! - x[a]! || a - b);
  const k = opts.topK ?? 0;
  if (k > 0 && k < V) order = order.slice(0, k);
  const max = x[order[0]!]!;
  const p = order.map((i) => Math.exp((x[i]! - max) / temperature));
  let total = p.reduce((a, b) => a + b, 0);
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    // Keep the smallest prefix whose probability reaches topP (at least one token).
    let cum = 0;
    let keep = 0;
    while (keep < p.length) {
      cum += p[keep]! / total;
      keep++;
      if (cum >= topP) break;
    }
    order = order.slice(0, keep);
    p.length = keep;
    total = p.reduce((a, b) => a + b, 0);
  }
  let r = rng.next() * total;
  for (let i = 0; i < p.length; i++) {
    r -= p[i]!;
    if (r < 0) return order[i]!;
  }
  return order[p.length - 1]!;
}

/** Index of the largest value (first on ties). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/**
 * Where the first stop string starts in `text`, or -1.
 * @example findStop('Hello\nUser:', ['\nUser:']) // 5
 */
export function findStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/**
 * How much of `text` can be shown now: everything except a tail that could still grow
 * into a stop string (streaming must not print half of a stop).
 */
export function safeLength(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(s.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return text.length - hold;
}
