// Gopher repetition filter (Rae et al. 2021, as datatrove implements it): duplicated lines
// and paragraphs, and the character share of frequent and repeated n-grams.

import type { Doc } from '../doc.js';
import type { GopherRepetitionParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { isSpace, wordSpansOf, type WordSpans } from '../words.js';

/**
 * Duplicated segments of a text, as Set-based counting over the trimmed, non-empty pieces
 * of text.split(/\n{2,}/) (paragraphs) or text.split('\n') (lines) would give:
 * [pieces, duplicated pieces, their characters]. Pieces are offsets, hashed in place and
 * compared character by character on equal hashes, so no string is built.
 */
export function duplicateSegments(text: string, paragraphs: boolean): [number, number, number] {
  const len = text.length;
  // The pieces, and how many have each length: a piece of a length no other has cannot
  // repeat, nor be repeated, so only the others are hashed (most lines differ in length).
  let pieces = 0;
  for (let s = 0; s <= len; ) {
    let e = text.indexOf('\n', s);
    if (paragraphs) while (e >= 0 && text.charCodeAt(e + 1) !== 10) e = text.indexOf('\n', e + 1);
    if (e < 0) e = len;
    let a = s;
    let b = e;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    if (b > a) {
      if (pieces === pieceStart.length) {
        pieceStart = grown(pieceStart);
        pieceEnd = grown(pieceEnd);
      }
      pieceStart[pieces] = a;
      pieceEnd[pieces++] = b;
      if (b - a >= lengthCount.length) lengthCount = grown(lengthCount, b - a + 1);
      lengthCount[b - a]++;
    }
    // Past the separator: one newline, or the whole run of two or more.
    s = e + 1;
    if (paragraphs) while (s < len && text.charCodeAt(s) === 10) s++;
  }
  let dup = 0;
  let chars = 0;
  segs.reset();
  for (let k = 0; k < pieces; k++) {
    const a = pieceStart[k]!;
    const b = pieceEnd[k]!;
    if (lengthCount[b - a]! > 1 && !segs.add(text, a, b)) {
      dup++;
      chars += b - a;
    }
  }
  for (let k = 0; k < pieces; k++) lengthCount[pieceEnd[k]! - pieceStart[k]!] = 0;
  return [pieces, dup, chars];
}

// Scratch of duplicateSegments: piece offsets, and piece counts by length (all 0 between calls).
let pieceStart: Int32Array = new Int32Array(256);
let pieceEnd: Int32Array = new Int32Array(256);
let lengthCount: Int32Array = new Int32Array(1024);

/** A copy of a, zero-padded to at least `min` and twice its length. */
function grown(a: Int32Array, min = 0): Int32Array {
  const b = new Int32Array(Math.max(min, 2 * a.length));
  b.set(a);
  return b;
}

/** A set of text ranges by content (open addressing on a 32-bit hash, exact compare). */
class RangeSet {
  private h = new Int32Array(128);
  private st = new Int32Array(128);
  private en = new Int32Array(128);
  private used = new Uint8Array(128);
  private size = 0;
  private mask = 127;

  /** Empties the set (it keeps the capacity it grew to). */
  reset(): void {
    if (this.size > 0) this.used.fill(0);
    this.size = 0;
  }

  private grow(cap: number): void {
    this.h = new Int32Array(cap);
    this.st = new Int32Array(cap);
    this.en = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Adds text[a, b); false when an equal range was already in. */
  add(text: string, a: number, b: number): boolean {
    if ((this.size + 1) * 2 > this.used.length) this.rehash();
    // A plain polynomial is enough: equal hashes are confirmed character by character.
    let h = b - a;
    for (let k = a; k < b; k++) h = (Math.imul(h, 0x01000193) + text.charCodeAt(k)) | 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    let i = h & this.mask;
    while (this.used[i]) {
      if (this.h[i] === h && sameRange(text, this.st[i]!, this.en[i]!, a, b)) return false;
      i = (i + 1) & this.mask;
    }
    this.used[i] = 1;
    this.h[i] = h;
    this.st[i] = a;
    this.en[i] = b;
    this.size++;
    return true;
  }

  private rehash(): void {
    const { h, st, en, used } = this;
    this.grow(used.length * 2);
    for (let j = 0; j < used.length; j++) {
      if (!used[j]) continue;
      let i = h[j]! & this.mask;
      while (this.used[i]) i = (i + 1) & this.mask;
      this.used[i] = 1;
      this.h[i] = h[j]!;
      this.st[i] = st[j]!;
      this.en[i] = en[j]!;
    }
  }
}

function sameRange(text: string, a0: number, b0: number, a1: number, b1: number): boolean {
  if (b0 - a0 !== b1 - a1) return false;
  for (let k = 0; k < b0 - a0; k++) if (text.charCodeAt(a0 + k) !== text.charCodeAt(a1 + k)) return false;
  return true;
}

const segs = new RangeSet();

// N-gram repetition as datatrove's gopher_repetition_filter.py measures it on a list of
// words: the top n-gram is the most frequent " ".join of n words (ties go to the one seen
// first, like Counter.most_common), its share count * len(joined) / len(text); duplicated
// n-grams are found by find_all_duplicate over "".join of n words (so the 2-grams "can not"
// and "cannot" are equal there), skipping the n words of each repeat.
//
// Hashing: one pass over the characters of the words, concatenated (C below), keeps
// polynomial prefix hashes mod 2^32, so the hash of any run of characters is
// H[e] - H[s] * B^(e - s): a concatenated n-gram costs two loads and a multiply whatever n
// is. Concatenated n-grams use that one lane and are compared character by character when
// their hashes meet, so duplicates are exact. Word sequences (the " ".join identity, as
// words hold no whitespace) are a second polynomial over per-word hashes in two independent
// 32-bit lanes: 64-bit keys.

// Odd bases of the polynomials: characters (lanes 1 and 2), words (lanes 1 and 2).
// Different bases make the lanes independent hashes of the same elements.
const B1 = 0x2f0b3a49;
const B2 = 0x5bd1e995;
const BW1 = 0x01000193;
const BW2 = 0x7feb352d;

// Per-character element of both character lanes: non-linear in the code unit, so that
// the lanes do not reduce to a linear form in the character codes.
function mix(c: number): number {
  const e = Math.imul(c ^ 0x2c1b3c6d, 0x297a2d39);
  return e ^ (e >>> 15);
}

/** b^n mod 2^32 (int32 bits). */
function powOf(b: number, n: number): number {
  let r = 1;
  for (let i = 0; i < n; i++) r = Math.imul(r, b);
  return r;
}

/** B1^k for k up to at least the longest text seen (grown by doubling). */
let pow1 = new Int32Array(0);
function ensurePow(n: number): void {
  if (pow1.length > n) return;
  const p = new Int32Array(Math.max(n + 1, pow1.length * 2, 4096));
  p[0] = 1;
  for (let k = 1; k < p.length; k++) p[k] = Math.imul(p[k - 1]!, B1);
  pow1 = p;
}

/**
 * An open-addressing table reused across documents, one Int32Array of 4-int slots
 * [key1, key2, count, first position] (one cache line holds four), cleared through the
 * list of slots filled since the last reset.
 */
class SlotTable {
  t = new Int32Array(4 * 1024);
  private shift = 22;
  private mask = 1023;
  private touched = new Int32Array(1024);
  private nTouched = 0;

  /** Empties the table, sized for at most n keys (load factor at most 1/2). */
  reset(n: number): void {
    const t = this.t;
    for (let k = 0; k < this.nTouched; k++) t[this.touched[k]! + 2] = 0;
    this.nTouched = 0;
    let cap = 256;
    let bits = 8;
    while (cap < n * 2) {
      cap *= 2;
      bits++;
    }
    if (4 * cap > t.length) this.t = new Int32Array(4 * cap);
    if (this.touched.length < n) this.touched = new Int32Array(Math.max(n, 2 * this.touched.length));
    this.shift = 32 - bits;
    this.mask = cap - 1;
  }

  /** Counts key (k1, k2) seen at position i; returns its slot (count at +2, first position at +3). */
  count(k1: number, k2: number, i: number): number {
    const t = this.t;
    let s = Math.imul(k1 ^ Math.imul(k2, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
    for (;;) {
      const o = s << 2;
      const c = t[o + 2]!;
      if (c === 0) {
        t[o] = k1;
        t[o + 1] = k2;
        t[o + 2] = 1;
        t[o + 3] = i;
        this.touched[this.nTouched++] = o;
        return o;
      }
      if (t[o] === k1 && t[o + 1] === k2) {
        t[o + 2] = c + 1;
        return o;
      }
      s = (s + 1) & this.mask;
    }
  }

  /**
   * True when the concatenation of n words at i (hash k, length d) was added before (equal
   * hash and length, then equal characters); otherwise adds it.
   */
  seenConcat(k: number, d: number, i: number, n: number, text: string, spans: WordSpans): boolean {
    const t = this.t;
    let s = Math.imul(k, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const o = s << 2;
      if (t[o + 2] === 0) {
        t[o] = k;
        t[o + 1] = d;
        t[o + 2] = 1;
        t[o + 3] = i;
        this.touched[this.nTouched++] = o;
        return false;
      }
      if (t[o] === k && t[o + 1] === d && sameConcat(text, spans, t[o + 3]!, i, d)) return true;
      s = (s + 1) & this.mask;
    }
  }

  /** True when key k was added before; otherwise adds it. */
  seen(k: number): boolean {
    const t = this.t;
    let s = Math.imul(k, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const o = s << 2;
      if (t[o + 2] === 0) {
        t[o] = k;
        t[o + 2] = 1;
        this.touched[this.nTouched++] = o;
        return false;
      }
      if (t[o] === k) return true;
      s = (s + 1) & this.mask;
    }
  }
}

/** True when the d characters of the words from a equal those of the words from b (spaces left out). */
function sameConcat(text: string, spans: WordSpans, a: number, b: number, d: number): boolean {
  const { start, end } = spans;
  let pa = start[a]!;
  let pb = start[b]!;
  for (let k = 0; k < d; k++) {
    if (text.charCodeAt(pa) !== text.charCodeAt(pb)) return false;
    if (++pa === end[a]) pa = start[++a]!;
    if (++pb === end[b]) pb = start[++b]!;
  }
  return true;
}

/**
 * The n-gram measures of one document's words: load() hashes every character once; then
 * top(n), dup(n), repeatStarts(n) and repeatEnds() each cost one pass over the words.
 * Shapes: W = words, L = characters of the words, R = positions repeatStarts() found;
 * scratch arrays are reused and valid up to W + 1, L + 1 or R.
 */
class NgramIndex {
  /** (W + 1) offset in C of word i (pos[W] = L). */
  pos = new Int32Array(1025);
  /** (L + 1) lane-1 hash of C[0, k). */
  hch = new Int32Array(8193);
  /** (W + 1) hch at word boundaries: hch[pos[i]]. */
  hb = new Int32Array(1025);
  /** (W + 1) word-sequence prefix hashes of words [0, i), lanes 1 and 2. */
  g1 = new Int32Array(1025);
  g2 = new Int32Array(1025);
  /** (R) word positions found by repeatStarts(), ascending. */
  starts = new Int32Array(256);
  nStarts = 0;
  /** (W) 1 for words whose last M characters of C repeat (repeatEnds()). */
  endFlags = new Uint8Array(1024);
  /** First position of the n-gram top() found. */
  topAt = 0;
  words = 0;
  chars = 0;
  /** The window length M of the last repeatStarts(). */
  private m = 0;
  private text = '';
  private spans: WordSpans = { count: 0, start: new Int32Array(0), end: new Int32Array(0) };
  private readonly table = new SlotTable();

  /** Takes a document's words (valid until the next load) and hashes their characters. */
  load(text: string, spans: WordSpans): void {
    const nw = spans.count;
    const { start, end } = spans;
    if (this.pos.length < nw + 1) {
      const cap = Math.max(nw + 1, 2 * this.pos.length);
      this.pos = new Int32Array(cap);
      this.hb = new Int32Array(cap);
      this.g1 = new Int32Array(cap);
      this.g2 = new Int32Array(cap);
    }
    if (this.hch.length < text.length + 1) this.hch = new Int32Array(Math.max(text.length + 1, 2 * this.hch.length));
    ensurePow(text.length + 1);
    const { pos, hch, hb, g1, g2 } = this;
    const p1 = pow1;
    let h = 0;
    let k = 0;
    let a = 0;
    let b = 0;
    for (let i = 0; i < nw; i++) {
      const s = start[i]!;
      const e = end[i]!;
      const h0 = h;
      let w2 = 0;
      for (let j = s; j < e; j++) {
        const c = mix(text.charCodeAt(j));
        h = (Math.imul(h, B1) + c) | 0;
        w2 = (Math.imul(w2, B2) + c) | 0;
        hch[++k] = h;
      }
      // The word alone, in lane 1: its run of C.
      const w1 = (h - Math.imul(h0, p1[e - s]!)) | 0;
      a = (Math.imul(a, BW1) + w1) | 0;
      b = (Math.imul(b, BW2) + w2) | 0;
      pos[i + 1] = k;
      hb[i + 1] = h;
      g1[i + 1] = a;
      g2[i + 1] = b;
    }
    this.words = nw;
    this.chars = k;
    this.text = text;
    this.spans = spans;
  }

  /**
   * The most frequent n-gram (as " ".join of n words; ties: the first seen): its count,
   * and its first position in `topAt`; 0 when there are fewer than n words.
   */
  top(n: number): number {
    const nw = this.words;
    this.topAt = 0;
    if (nw < n) return 0;
    const { g1, g2, table } = this;
    const m1 = powOf(BW1, n);
    const m2 = powOf(BW2, n);
    table.reset(nw - n + 1);
    const t = table.t;
    let best = 0;
    let bestAt = 0;
    for (let i = 0; i + n <= nw; i++) {
      const o = table.count((g1[i + n]! - Math.imul(g1[i]!, m1)) | 0, (g2[i + n]! - Math.imul(g2[i]!, m2)) | 0, i);
      const c = t[o + 2]!;
      if (c >= best && (c > best || t[o + 3]! < bestAt)) {
        best = c;
        bestAt = t[o + 3]!;
      }
    }
    this.topAt = bestAt;
    return best;
  }

  /** Characters of " ".join(words[i, i + n)). */
  joinedLength(i: number, n: number): number {
    return this.pos[i + n]! - this.pos[i]! + n - 1;
  }

  /** The longest " ".join of n words (0 when there are fewer than n words). */
  maxJoinedLength(n: number): number {
    const pos = this.pos;
    let m = -1;
    for (let i = 0; i + n <= this.words; i++) m = Math.max(m, pos[i + n]! - pos[i]!);
    return m < 0 ? 0 : m + n - 1;
  }

  /** datatrove's find_all_duplicate(words, n): characters of repeated "".join n-grams. */
  dup(n: number): number {
    const nw = this.words;
    if (nw < n) return 0;
    const { pos, hb, table, text, spans } = this;
    const p1 = pow1;
    table.reset(nw - n + 1);
    let repeated = 0;
    let i = 0;
    while (i + n <= nw) {
      const d = pos[i + n]! - pos[i]!;
      if (table.seenConcat((hb[i + n]! - Math.imul(hb[i]!, p1[d]!)) | 0, d, i, n, text, spans)) {
        repeated += d;
        i += n;
      } else i++;
    }
    return repeated;
  }

  /**
   * Collects in `starts` every word position whose M characters of C (M: the shortest
   * "".join of n words) equal those from an earlier word start (or share their hash). A
   * repeat that find_all_duplicate counts at m >= n words starts at such a position: its
   * characters equal those of an earlier n-gram, and M is no longer than either.
   */
  repeatStarts(n: number): void {
    const nw = this.words;
    this.nStarts = 0;
    this.m = 0;
    if (nw < n) return;
    const { pos, hch, table } = this;
    let m = Infinity;
    for (let i = 0; i + n <= nw; i++) m = Math.min(m, pos[i + n]! - pos[i]!);
    this.m = m;
    const pm = pow1[m]!;
    const last = this.chars - m;
    table.reset(nw);
    for (let i = 0; i < nw; i++) {
      const s = pos[i]!;
      if (s > last) break; // no n-gram from here is M characters long
      if (table.seen((hch[s + m]! - Math.imul(hch[s]!, pm)) | 0)) {
        if (this.nStarts === this.starts.length) {
          const a = new Int32Array(2 * this.starts.length);
          a.set(this.starts);
          this.starts = a;
        }
        this.starts[this.nStarts++] = i;
      }
    }
  }

  /**
   * The same from the other side, for the M of the last repeatStarts(): flags in
   * `endFlags` every word whose last M characters of C (up to its end) equal those before
   * an earlier word end. A counted repeat of m words from i has both i in `starts` and
   * word i + m - 1 flagged here.
   */
  repeatEnds(): void {
    const nw = this.words;
    const { pos, hch, table } = this;
    if (this.endFlags.length < nw) this.endFlags = new Uint8Array(Math.max(nw, 2 * this.endFlags.length));
    const flags = this.endFlags;
    flags.fill(0, 0, nw);
    const m = this.m;
    if (m === 0) return;
    const pm = pow1[m]!;
    table.reset(nw);
    for (let i = 0; i < nw; i++) {
      const e = pos[i + 1]!;
      if (e >= m && table.seen((hch[e]! - Math.imul(hch[e - m]!, pm)) | 0)) flags[i] = 1;
    }
  }

  /**
   * An upper bound on dup(k) for k >= the n of the last repeatStarts(n): the characters
   * of the union of the k-word runs from `starts` (counted repeats are disjoint such runs);
   * with `ends`, only runs whose last word is flagged by repeatEnds().
   */
  dupBound(k: number, ends: boolean): number {
    const { pos, starts, endFlags } = this;
    const nw = this.words;
    let chars = 0;
    let covered = 0; // words before this are counted
    for (let r = 0; r < this.nStarts; r++) {
      const i = starts[r]!;
      if (i + k > nw) break;
      if (ends && endFlags[i + k - 1] === 0) continue;
      const a = Math.max(i, covered);
      if (i + k > a) {
        chars += pos[i + k]! - pos[a]!;
        covered = i + k;
      }
    }
    return chars;
  }
}

const index = new NgramIndex();

/** True when the n-gram lengths never decrease along a list (what the early exits need). */
function ascends(list: [number, number][]): boolean {
  for (let k = 1; k < list.length; k++) if (list[k]![0] < list[k - 1]![0]) return false;
  return true;
}

/**
 * Every n-gram rule's measure for a document, without early exits: the character share
 * of the top n-gram per topNgrams entry (0 with fewer than n words) and of duplicated
 * n-grams per dupNgrams entry, as fractions of the text's length (UTF-16 units).
 */
export function ngramShares(doc: Doc, p: GopherRepetitionParams): { top: number[]; dup: number[] } {
  const total = Math.max(1, doc.text.length);
  index.load(doc.text, wordSpansOf(doc));
  const top = p.topNgrams.map(([n]) => {
    const count = index.top(n);
    return count === 0 ? 0 : (count * index.joinedLength(index.topAt, n)) / total;
  });
  const dup = p.dupNgrams.map(([n]) => index.dup(n) / total);
  return { top, dup };
}

export class GopherRepetition implements Stage {
  readonly name = 'gopher_repetition';
  constructor(private readonly p: GopherRepetitionParams, private readonly perLang?: Record<string, Partial<GopherRepetitionParams>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const text = doc.text;
    const total = Math.max(1, text.length);
    const [np, pd, pc] = duplicateSegments(text, true);
    if (np > 0 && pd / np > p.dupParaFrac) return 'dup_para_frac';
    if (pc / total > p.dupParaCharFrac) return 'dup_para_char_frac';
    const [nl, ld, lc] = duplicateSegments(text, false);
    if (nl > 0 && ld / nl > p.dupLineFrac) return 'dup_line_frac';
    if (lc / total > p.dupLineCharFrac) return 'dup_line_char_frac';

    const spans = wordSpansOf(doc);
    const nw = spans.count;
    index.load(text, spans);
    // A pass is skipped where a bound shows its rule cannot fire. Top: an n-gram is seen at
    // most as often as its first n' < n words, so at most `best` (the top count at n') times.
    // At best === 1 every n-gram is distinct, and so is every longer one: the top one is then
    // the first, seen once.
    const topUp = ascends(p.topNgrams);
    let best = Infinity;
    for (let r = 0; r < p.topNgrams.length; r++) {
      const [n, max] = p.topNgrams[r]!;
      if (nw < n) continue;
      if (!topUp) best = Infinity;
      if (best === 1) {
        if (index.joinedLength(0, n) / total > max) return `top_${n}_gram`;
        continue;
      }
      if (best !== Infinity && !((best * index.maxJoinedLength(n)) / total > max)) continue;
      best = index.top(n);
      if ((best * index.joinedLength(index.topAt, n)) / total > max) return `top_${n}_gram`;
    }
    // Duplicates: concatenated n-grams can repeat at m words and not at fewer (words "a b"
    // and "ab"), so a pass says nothing of longer ones; repeatStarts() and, where needed,
    // repeatEnds() bound them all, and a rule gets its pass only when the bound allows it
    // to fire.
    const dupUp = ascends(p.dupNgrams);
    if (dupUp && p.dupNgrams.length > 0) index.repeatStarts(p.dupNgrams[0]![0]);
    let ends = false;
    for (let r = 0; r < p.dupNgrams.length; r++) {
      const [n, max] = p.dupNgrams[r]!;
      if (dupUp) {
        if (!(index.dupBound(n, ends) / total > max)) continue;
        if (!ends) {
          index.repeatEnds();
          ends = true;
          if (!(index.dupBound(n, ends) / total > max)) continue;
        }
      }
      if (index.dup(n) / total > max) return `duplicated_${n}_n_grams`;
    }
    return undefined;
  }
}
