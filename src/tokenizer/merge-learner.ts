// The second pass of BPE training: learns merges from piece counts. Each distinct
// piece is a word of symbols with a count; pair counts are kept incrementally (a merge
// touches only the words that hold its pair) and the most frequent pair comes from a
// max-heap whose stale entries are refreshed when popped. Pair counts only fall, except
// for pairs with the new token, which are pushed after each merge, so the heap is exact.

import { encodeUtf8Into } from './bytes.js';

/** Progress of the merge phase. */
export interface MergeProgress {
  merges: number;
  target: number;
  /** Count of the pair just merged. */
  count: number;
}

/** An open-addressing map from (a, b) id pairs to dense pair indices. */
class PairIndex {
  a: Int32Array;
  b: Int32Array;
  v: Int32Array;
  mask: number;
  size = 0;
  constructor(expected: number) {
    let cap = 1 << 16;
    while (cap < expected * 2) cap *= 2;
    this.a = new Int32Array(cap).fill(-1);
    this.b = new Int32Array(cap);
    this.v = new Int32Array(cap);
    this.mask = cap - 1;
  }
  private slot(a: number, b: number): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
    h = (h ^ (h >>> 15)) & this.mask;
    for (;;) {
      const k = this.a[h]!;
      if (k === -1 || (k === a && this.b[h] === b)) return h;
      h = (h + 1) & this.mask;
    }
  }
  get(a: number, b: number): number {
    const h = this.slot(a, b);
    return this.a[h] === -1 ? -1 : this.v[h]!;
  }
  /** The index of (a, b), adding it as `next` if new. */
  getOrAdd(a: number, b: number, next: number): number {
    const h = this.slot(a, b);
    if (this.a[h] !== -1) return this.v[h]!;
    this.a[h] = a;
    this.b[h] = b;
    this.v[h] = next;
    this.size++;
    if (this.size * 2 > this.a.length) this.grow();
    return next;
  }
  private grow(): void {
    const { a, b, v } = this;
    const cap = a.length * 2;
    this.a = new Int32Array(cap).fill(-1);
    this.b = new Int32Array(cap);
    this.v = new Int32Array(cap);
    this.mask = cap - 1;
    for (let h = 0; h < a.length; h++) {
      if (a[h] === -1) continue;
      const s = this.slot(a[h]!, b[h]!);
      this.a[s] = a[h]!;
      this.b[s] = b[h]!;
      this.v[s] = v[h]!;
    }
  }
}

/**
 * Learns up to `newTokens` merges over the pieces (piece text -> count), stopping early
 * when the best pair occurs fewer than minFrequency times. Returns the token bytes
 * (256 single bytes, then one per new token) and the merges in rank order.
 */
export function learnMerges(
  pieces: Map<string, number>,
  newTokens: number,
  minFrequency: number,
  onProgress?: (p: MergeProgress) => void,
): { tokens: Uint8Array[]; merges: Array<[number, number]> } {
  // words: symbols of every piece of two or more bytes, flat
  let totalUnits = 0;
  for (const k of pieces.keys()) totalUnits += k.length;
  const sym = new Int32Array(totalUnits * 3);
  const off: number[] = [];
  const len: number[] = [];
  const cnt: number[] = [];
  const buf = new Uint8Array(1 << 16);
  let o = 0;
  for (const [piece, c] of pieces) {
    const big = piece.length * 3 > buf.length ? new Uint8Array(piece.length * 3) : buf;
    const n = encodeUtf8Into(piece, 0, piece.length, big);
    if (n < 2) continue;
    for (let i = 0; i < n; i++) sym[o + i] = big[i]!;
    off.push(o);
    len.push(n);
    cnt.push(c);
    o += n;
  }
  const W = off.length;
  const wordLen = Int32Array.from(len);
  const wordOff = Int32Array.from(off);
  const wordCnt = Float64Array.from(cnt);

  // pairs: dense indices with their ids, counts and the words that (may) hold them
  const index = new PairIndex(o);
  let pairCap = 1 << 16;
  let pairA = new Int32Array(pairCap);
  let pairB = new Int32Array(pairCap);
  let pairCount = new Float64Array(pairCap);
  let pairStamp = new Int32Array(pairCap).fill(-1);
  const where: number[][] = [];
  let nPairs = 0;
  const pairOf = (a: number, b: number): number => {
    const p = index.getOrAdd(a, b, nPairs);
    if (p === nPairs) {
      if (nPairs === pairCap) {
        pairCap *= 2;
        const na = new Int32Array(pairCap);
        na.set(pairA);
        pairA = na;
        const nb = new Int32Array(pairCap);
        nb.set(pairB);
        pairB = nb;
        const nc = new Float64Array(pairCap);
        nc.set(pairCount);
        pairCount = nc;
        const ns = new Int32Array(pairCap).fill(-1);
        ns.set(pairStamp);
        pairStamp = ns;
      }
      pairA[p] = a;
      pairB[p] = b;
      where.push([]);
      nPairs++;
    }
    return p;
  };
  for (let w = 0; w < W; w++) {
    const s = wordOff[w]!;
    const c = wordCnt[w]!;
    for (let i = s; i < s + wordLen[w]! - 1; i++) {
      const p = pairOf(sym[i]!, sym[i + 1]!);
      pairCount[p] += c;
      const list = where[p]!;
      if (list[list.length - 1] !== w) list.push(w);
    }
  }

  // max-heap of (pair, count when pushed); ties go to the smaller (a, b)
  let heapP = new Int32Array(Math.max(nPairs, 16));
  let heapC = new Float64Array(heapP.length);
  let heapN = 0;
  const above = (x: number, y: number): boolean => {
    const cx = heapC[x]!;
    const cy = heapC[y]!;
    if (cx !== cy) return cx > cy;
    const px = heapP[x]!;
    const py = heapP[y]!;
    return pairA[px]! !== pairA[py]! ? pairA[px]! < pairA[py]! : pairB[px]! < pairB[py]!;
  };
  const swap = (x: number, y: number) => {
    const p = heapP[x]!;
    heapP[x] = heapP[y]!;
    heapP[y] = p;
    const c = heapC[x]!;
    heapC[x] = heapC[y]!;
    heapC[y] = c;
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heapN) return;
      let m = l;
      if (l + 1 < heapN && above(l + 1, l)) m = l + 1;
      if (!above(m, i)) return;
      swap(m, i);
      i = m;
    }
  };
  const push = (p: number, c: number) => {
    if (heapN === heapP.length) {
      const np = new Int32Array(heapN * 2);
      np.set(heapP);
      heapP = np;
      const nc = new Float64Array(heapN * 2);
      nc.set(heapC);
      heapC = nc;
    }
    let i = heapN++;
    heapP[i] = p;
    heapC[i] = c;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!above(i, parent)) break;
      swap(i, parent);
      i = parent;
    }
  };
  for (let p = 0; p < nPairs; p++) {
    heapP[heapN] = p;
    heapC[heapN++] = pairCount[p]!;
  }
  for (let i = (heapN >> 1) - 1; i >= 0; i--) siftDown(i);

  const tokens: Uint8Array[] = [];
  const idOf = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    tokens.push(Uint8Array.of(b));
    idOf.set(String.fromCharCode(b), b);
  }
  const keyOf = (t: Uint8Array) => Buffer.from(t.buffer, t.byteOffset, t.length).toString('latin1');
  const merges: Array<[number, number]> = [];
  const wordStamp = new Int32Array(W).fill(-1);
  const touched: number[] = [];

  while (tokens.length - 256 < newTokens && heapN > 0) {
    const p = heapP[0]!;
    const c0 = heapC[0]!;
    heapN--;
    if (heapN > 0) {
      heapP[0] = heapP[heapN]!;
      heapC[0] = heapC[heapN]!;
      siftDown(0);
    }
    const current = pairCount[p]!;
    if (c0 !== current) {
      if (current > 0) push(p, current);
      continue;
    }
    if (current < minFrequency || current <= 0) break;
    const a = pairA[p]!;
    const b = pairB[p]!;
    const ta = tokens[a]!;
    const tb = tokens[b]!;
    const joined = new Uint8Array(ta.length + tb.length);
    joined.set(ta);
    joined.set(tb, ta.length);
    const key = keyOf(joined);
    let n = idOf.get(key);
    if (n === undefined) {
      n = tokens.length;
      tokens.push(joined);
      idOf.set(key, n);
    }
    const rank = merges.length;
    merges.push([a, b]);
    touched.length = 0;
    const list = where[p]!;
    where[p] = [];
    for (let q = 0; q < list.length; q++) {
      const w = list[q]!;
      if (wordStamp[w] === rank) continue;
      wordStamp[w] = rank;
      const c = wordCnt[w]!;
      const s = wordOff[w]!;
      const end = s + wordLen[w]!;
      let wi = s;
      let r = s;
      while (r < end) {
        if (r + 1 < end && sym[r] === a && sym[r + 1] === b) {
          if (wi > s) {
            const l = sym[wi - 1]!;
            const d = index.get(l, a);
            if (d >= 0) pairCount[d] -= c;
            const u = pairOf(l, n);
            pairCount[u] += c;
            const lu = where[u]!;
            if (lu[lu.length - 1] !== w) lu.push(w);
            if (pairStamp[u] !== rank) (pairStamp[u] = rank), touched.push(u);
          }
          if (r + 2 < end) {
            const rr = sym[r + 2]!;
            const d = index.get(b, rr);
            if (d >= 0) pairCount[d] -= c;
            const u = pairOf(n, rr);
            pairCount[u] += c;
            const lu = where[u]!;
            if (lu[lu.length - 1] !== w) lu.push(w);
            if (pairStamp[u] !== rank) (pairStamp[u] = rank), touched.push(u);
          }
          sym[wi++] = n;
          r += 2;
        } else sym[wi++] = sym[r++]!;
      }
      wordLen[w] = wi - s;
    }
    pairCount[p] = 0;
    for (const u of touched) if (pairCount[u]! > 0 && u !== p) push(u, pairCount[u]!);
    onProgress?.({ merges: tokens.length - 256, target: newTokens, count: current });
  }
  return { tokens, merges };
}
