// Counts pre-token pieces: the first pass of BPE training. Used by the worker threads
// (count-worker.ts) and, with one thread, directly.

import type { Splitter } from './pretokenize.js';

/** Adds the pieces of every text to counts. */
export function countPieces(split: Splitter, texts: string[], counts: Map<string, number>): void {
  let ends: Int32Array = new Int32Array(4096);
  for (const text of texts) {
    let n: number;
    [ends, n] = split(text, 0, text.length, ends);
    let prev = 0;
    for (let k = 0; k < n; k++) {
      const e = ends[k]!;
      const piece = text.slice(prev, e);
      counts.set(piece, (counts.get(piece) ?? 0) + 1);
      prev = e;
    }
  }
}
