// Byte-level BPE encoding of one piece: start from one token per byte, then merge the
// adjacent pair of lowest rank (leftmost first) until no pair merges. This is the rule
// of both tiktoken and Hugging Face's BPE model. Short pieces use a plain scan (fast for
// the usual few bytes); long ones a heap, so a megabyte without a break is not quadratic.

import type { MergeTable } from './merges.js';

const NONE = 0x7fffffff;
// scratch of the scan path, reused across calls (encoding is synchronous)
let scratchIds = new Int32Array(256);
let scratchRanks = new Int32Array(256);

/**
 * Encodes bytes[0, n) (ids of single bytes given by byteIds) and appends the ids to out;
 * pieces of longFrom bytes or more take the heap path.
 */
export function bpeEncode(bytes: Uint8Array, n: number, byteIds: Int32Array, merges: MergeTable, out: number[], longFrom = 256): void {
  if (n === 1) {
    out.push(byteIds[bytes[0]!]!);
    return;
  }
  if (n >= longFrom) return bpeEncodeLong(bytes, n, byteIds, merges, out);
  if (scratchIds.length < n) (scratchIds = new Int32Array(n * 2)), (scratchRanks = new Int32Array(n * 2));
  const ids = scratchIds;
  const ranks = scratchRanks; // ranks[k]: rank of merging ids[k] with ids[k+1]
  for (let k = 0; k < n; k++) ids[k] = byteIds[bytes[k]!]!;
  let len = n;
  for (let k = 0; k + 1 < len; k++) {
    const r = merges.rank(ids[k]!, ids[k + 1]!);
    ranks[k] = r < 0 ? NONE : r;
  }
  ranks[len - 1] = NONE;
  while (len > 1) {
    let best = NONE;
    let at = -1;
    for (let k = 0; k + 1 < len; k++) {
      if (ranks[k]! < best) {
        best = ranks[k]!;
        at = k;
      }
    }
    if (at < 0) break;
    ids[at] = merges.result(ids[at]!, ids[at + 1]!);
    ids.copyWithin(at + 1, at + 2, len);
    ranks.copyWithin(at + 1, at + 2, len);
    len--;
    ranks[len - 1] = NONE;
    if (at + 1 < len) {
      const r = merges.rank(ids[at]!, ids[at + 1]!);
      ranks[at] = r < 0 ? NONE : r;
    } else ranks[at] = NONE;
    if (at > 0) {
      const r = merges.rank(ids[at - 1]!, ids[at]!);
      ranks[at - 1] = r < 0 ? NONE : r;
    }
  }
  for (let k = 0; k < len; k++) out.push(ids[k]!);
}

/** The same rule with a doubly linked list and a min-heap keyed by (rank, position). */
function bpeEncodeLong(bytes: Uint8Array, n: number, byteIds: Int32Array, merges: MergeTable, out: number[]): void {
  const ids = new Int32Array(n);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  for (let k = 0; k < n; k++) {
    ids[k] = byteIds[bytes[k]!]!;
    next[k] = k + 1;
    prev[k] = k - 1;
  }
  // heap entries: rank * n + position (positions are stable list node indices), so
  // ties in rank pop leftmost first; stale entries are skipped when popped
  const heap: number[] = [];
  const push = (v: number) => {
    let i = heap.length;
    heap.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= v) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = v;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= heap.length) break;
        if (c + 1 < heap.length && heap[c + 1]! < heap[c]!) c++;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  const rankAt = (k: number) => (next[k]! < n ? merges.rank(ids[k]!, ids[next[k]!]!) : -1);
  for (let k = 0; k + 1 < n; k++) {
    const r = rankAt(k);
    if (r >= 0) push(r * n + k);
  }
  while (heap.length > 0) {
    const v = pop();
    const k = v % n;
    const r = (v - k) / n;
    if (!alive[k] || rankAt(k) !== r) continue;
    const j = next[k]!;
    ids[k] = merges.result(ids[k]!, ids[j]!);
    alive[j] = 0;
    next[k] = next[j]!;
    if (next[j]! < n) prev[next[j]!] = k;
    const rn = rankAt(k);
    if (rn >= 0) push(rn * n + k);
    const p = prev[k]!;
    if (p >= 0) {
      const rp = rankAt(p);
      if (rp >= 0) push(rp * n + p);
    }
  }
  for (let k = 0; k < n; k = next[k]!) out.push(ids[k]!);
}
