// Gopher repetition filter (Rae et al. 2021, as datatrove implements it): duplicated lines
// and paragraphs, and the character share of frequent and repeated n-grams.

import type { Doc } from '../doc.js';
import type { GopherRepetitionParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { isSpace, SPACE_UNIT, wordSpansOf, type WordSpans } from '../words.js';

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
    // A run of two or more newlines starts at the first "\n\n" from s (s follows a run).
    let e = text.indexOf(paragraphs ? '\n\n' : '\n', s);
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
// is, and so does a word. Word sequences (the " ".join identity, as words hold no
// whitespace) are a second polynomial over the word hashes. Keys are 32 bits, so distinct
// n-grams can share one; every result is made exact where it counts: concatenated n-grams
// are compared character by character when their keys meet, the top n-gram's occurrences
// word by word (with a string count when they differ), and the bounds only ever grow when
// keys meet.
//
// Most documents trip no rule, so most of the work is bounds that show it, each one pass
// with no branch on the data: sums of n-gram lengths by bucket of key (top n-grams), and
// Bloom filters of the windows at word starts and ends (duplicated n-grams).

// Odd bases of the polynomials: characters, words.
const B1 = 0x2f0b3a49;
const BW = 0x01000193;

// Per-character element of the character polynomial: non-linear in the code unit, so that
// texts of a few nearby code units do not hash alike.
function mix(c: number): number {
  const e = Math.imul(c ^ 0x2c1b3c6d, 0x297a2d39);
  return e ^ (e >>> 15);
}

/** One code unit into the character polynomial. */
function step(h: number, c: number): number {
  return (Math.imul(h, B1) + mix(c)) | 0;
}

/** The 32-bit key of a run of characters, as n-gram keys are made (exported for tests that make keys meet). */
export function charsKey(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = step(h, s.charCodeAt(i));
  return h;
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

/** log2 of the slots (a power of two, at least 256) for at most n keys at load factor 1/2. */
function slotBits(n: number): number {
  let bits = 8;
  while (1 << bits < n * 2) bits++;
  return bits;
}

/** A first slot for a key: Fibonacci hashing to the top bits. */
function slotOf(k: number, shift: number): number {
  return Math.imul(k, 0x9e3779b1) >>> shift;
}

/**
 * An open-addressing table of 4-int slots in one Int32Array, reused across documents: the
 * storage and sizing that CountTable and ConcatSet share (their slots mean different things).
 */
class SlotTable {
  t = new Int32Array(4 * 256);
  protected shift = 24;
  protected mask = 255;

  /** Empties the table, sized for at most n keys. */
  reset(n: number): void {
    const bits = slotBits(n);
    const cap = 1 << bits;
    if (4 * cap > this.t.length) this.t = new Int32Array(4 * cap);
    else this.t.fill(0, 0, 4 * cap);
    this.shift = 32 - bits;
    this.mask = cap - 1;
  }
}

/** Counts of 32-bit keys: slots [key, count, first position, unused] (count 0: empty). */
class CountTable extends SlotTable {

  /** Counts key k seen at position i; returns its slot (count at +1, first position at +2). */
  add(k: number, i: number): number {
    const t = this.t;
    for (let s = slotOf(k, this.shift); ; s = (s + 1) & this.mask) {
      const o = s << 2;
      const c = t[o + 1]!;
      if (c === 0) {
        t[o] = k;
        t[o + 1] = 1;
        t[o + 2] = i;
        return o;
      }
      if (t[o] === k) {
        t[o + 1] = c + 1;
        return o;
      }
    }
  }
}

/**
 * "Seen before?" over 32-bit keys with no probing and no branch: a Bloom filter of two
 * bits a key and at least 64 bits a key, reused across documents. A false "seen" (bits
 * set by other keys; rare) only loosens a bound.
 */
class SeenBits {
  private bits = new Int32Array(256);
  private shift = 19;

  /** Empties the filter, sized for at most n keys. */
  reset(n: number): void {
    let size = 8192;
    let lg = 13;
    while (size < 64 * n) {
      size *= 2;
      lg++;
    }
    if (size >>> 5 > this.bits.length) this.bits = new Int32Array(size >>> 5);
    else this.bits.fill(0, 0, size >>> 5);
    this.shift = 32 - lg;
  }

  /** 1 when k's bits were both set (k was probably added before), else 0; adds k. */
  seen(k: number): number {
    const bits = this.bits;
    // Two positions from one product: its top bits, and the bits below them.
    const x = Math.imul(k, 0x9e3779b1);
    const a = x >>> this.shift;
    const b = (x << (32 - this.shift)) >>> this.shift;
    const hit = (bits[a >>> 5]! >>> (a & 31)) & (bits[b >>> 5]! >>> (b & 31)) & 1;
    bits[a >>> 5] |= 1 << (a & 31);
    bits[b >>> 5] |= 1 << (b & 31);
    return hit;
  }
}

/**
 * The n-gram measures of one document's words: load() hashes every character once; then
 * topBound(n), top(n), dup(n), repeatStarts(n) and repeatEnds() each cost one pass over
 * the words.
 * Shapes: W = words, L = characters of the words, R = positions repeatStarts() found;
 * scratch arrays are reused and valid up to W + 1, L + 1 or R.
 */
class NgramIndex {
  /** (W + 1) offset in C of word i (pos[W] = L). */
  pos = new Int32Array(1025);
  /** (L + 1) hash of C[0, k). */
  hch = new Int32Array(8193);
  /** (W + 1) word-sequence prefix hashes of words [0, i), once `sequenced`. */
  g = new Int32Array(1025);
  private sequenced = false;
  /** (S) sums of joined lengths per bucket of n-gram keys, for topBound(); 0 between calls. */
  private sums = new Int32Array(1024);
  /** (R) word positions found by repeatStarts(), ascending. */
  starts = new Int32Array(1024);
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
  private readonly counts = new CountTable();
  private readonly keys = new SeenBits();
  private readonly concat = new ConcatSet();

  /** Takes a document's words (valid until the next load) and hashes their characters. */
  load(text: string, spans: WordSpans): void {
    const nw = spans.count;
    this.text = text;
    this.spans = spans;
    this.words = nw;
    if (this.pos.length < nw + 1) {
      const cap = Math.max(nw + 1, 2 * this.pos.length);
      this.pos = new Int32Array(cap);
      this.g = new Int32Array(cap);
    }
    if (this.hch.length < text.length + 1) this.hch = new Int32Array(Math.max(text.length + 1, 2 * this.hch.length));
    ensurePow(text.length + 1);
    // Words are disjoint runs of non-whitespace in order (words.ts): C is the text without
    // its whitespace exactly when their lengths add up to its length. Else (words that leave
    // out some non-whitespace) C is hashed word by word, and the word sequence again.
    const units = this.hashUnits(text);
    this.chars = this.measureWords(spans);
    if (this.chars !== units) this.hashWords(text, spans);
    this.sequenced = false;
  }

  /** Hashes the text without its whitespace into hch, in one pass with no branch; returns its length. */
  private hashUnits(text: string): number {
    const hch = this.hch;
    const space = SPACE_UNIT;
    let h = 0;
    let k = 0;
    for (let j = 0; j < text.length; j++) {
      const c = text.charCodeAt(j);
      const f = space[c]! ^ 1; // 1 for a unit of a word
      // step(h, c) for a word unit (f = 1); whitespace (f = 0) multiplies h by 1 and adds 0,
      // and leaves k: the store then rewrites hch[k] with the same value.
      h = (Math.imul(h, (B1 - 1) * f + 1) + (mix(c) & -f)) | 0;
      k += f;
      hch[k] = h;
    }
    return k;
  }

  /** Fills pos from the word lengths; returns L, the length of C. */
  private measureWords(spans: WordSpans): number {
    const { pos } = this;
    const { start, end } = spans;
    let s = 0;
    for (let i = 0; i < spans.count; i++) {
      pos[i] = s;
      s += end[i]! - start[i]!;
    }
    pos[spans.count] = s;
    return s;
  }

  /** Fills g (once a document) from the word hashes, runs of C: their sequence is a polynomial of its own. */
  private sequence(): void {
    if (this.sequenced) return;
    const { pos, g, hch } = this;
    const p1 = pow1;
    let a = 0;
    for (let i = 0; i < this.words; i++) {
      const s = pos[i]!;
      const e = pos[i + 1]!;
      a = (Math.imul(a, BW) + hch[e]! - Math.imul(hch[s]!, p1[e - s]!)) | 0;
      g[i + 1] = a;
    }
    this.sequenced = true;
  }

  /** Hashes C word by word (any words, e.g. ones that leave out non-whitespace). */
  private hashWords(text: string, spans: WordSpans): void {
    const hch = this.hch;
    const { start, end } = spans;
    let h = 0;
    let k = 0;
    for (let i = 0; i < spans.count; i++) {
      for (let j = start[i]!; j < end[i]!; j++) {
        h = step(h, text.charCodeAt(j));
        hch[++k] = h;
      }
    }
  }

  /** Key of the word sequence [i, i + n), given mn = BW^n. */
  private keyAt(i: number, n: number, mn: number): number {
    return (this.g[i + n]! - Math.imul(this.g[i]!, mn)) | 0;
  }

  /**
   * The most frequent n-gram (as " ".join of n words; ties: the first seen): its count,
   * and its first position in `topAt`; 0 when there are fewer than n words.
   */
  top(n: number): number {
    const nw = this.words;
    this.topAt = 0;
    if (nw < n) return 0;
    this.sequence();
    const { counts } = this;
    const mn = powOf(BW, n);
    counts.reset(nw - n + 1);
    const t = counts.t;
    let best = 0;
    let bestAt = 0;
    for (let i = 0; i + n <= nw; i++) {
      const o = counts.add(this.keyAt(i, n, mn), i);
      const c = t[o + 1]!;
      if (c > best || (c === best && t[o + 2]! < bestAt)) {
        best = c;
        bestAt = t[o + 2]!;
      }
    }
    // Only a key seen twice can hold two n-grams: the winner's count is exact, and so the
    // winner is, when every position with its key holds its words.
    if (best > 1 && !this.sameAtKey(bestAt, n, mn)) return this.topByStrings(n);
    this.topAt = bestAt;
    return best;
  }

  /** True when every n-gram after position a with a's key has a's words. */
  private sameAtKey(a: number, n: number, mn: number): boolean {
    const k = this.keyAt(a, n, mn);
    for (let i = a + 1; i + n <= this.words; i++) if (this.keyAt(i, n, mn) === k && !this.sameWords(a, i, n)) return false;
    return true;
  }

  /** True when the n words from a equal the n words from b. */
  private sameWords(a: number, b: number, n: number): boolean {
    const { text } = this;
    const { start, end } = this.spans;
    for (let w = 0; w < n; w++) {
      const sa = start[a + w]!;
      const sb = start[b + w]!;
      const d = end[a + w]! - sa;
      if (end[b + w]! - sb !== d) return false;
      for (let k = 0; k < d; k++) if (text.charCodeAt(sa + k) !== text.charCodeAt(sb + k)) return false;
    }
    return true;
  }

  /** top(n) by strings, for when n-gram keys met (rare): a count per " ".join. */
  private topByStrings(n: number): number {
    const { text } = this;
    const { start, end } = this.spans;
    const seen = new Map<string, [count: number, first: number]>();
    let best = 0;
    for (let i = 0; i + n <= this.words; i++) {
      const words: string[] = [];
      for (let w = i; w < i + n; w++) words.push(text.slice(start[w]!, end[w]!));
      const key = words.join(' ');
      const e = seen.get(key) ?? [0, i];
      seen.set(key, e);
      e[0]++;
      if (e[0] > best || (e[0] === best && e[1] < this.topAt)) {
        best = e[0];
        this.topAt = e[1];
      }
    }
    return best;
  }

  /**
   * An upper bound on count * joined length of the top n-gram, in one pass with no table
   * probes: the joined lengths of the n-grams summed by bucket of the key of their
   * characters, "".join (about four buckets an n-gram). Equal n-grams share a key, so no
   * bucket holds less than any of its n-grams' count * length.
   */
  topBound(n: number): number {
    const nw = this.words;
    if (nw < n) return 0;
    const { pos } = this;
    const bits = slotBits(2 * (nw - n + 1));
    const cap = 1 << bits;
    const shift = 32 - bits;
    if (this.sums.length < cap) this.sums = new Int32Array(cap);
    const { sums, hch } = this;
    const p1 = pow1;
    let m = 0;
    for (let i = 0; i + n <= nw; i++) {
      const s = pos[i]!;
      const d = pos[i + n]! - s;
      const b = slotOf((hch[s + d]! - Math.imul(hch[s]!, p1[d]!)) | 0, shift);
      const v = sums[b]! + d + n - 1;
      sums[b] = v;
      m = Math.max(m, v);
    }
    sums.fill(0, 0, cap);
    return m;
  }

  /** Characters of " ".join(words[i, i + n)). */
  joinedLength(i: number, n: number): number {
    return this.pos[i + n]! - this.pos[i]! + n - 1;
  }

  /** datatrove's find_all_duplicate(words, n): characters of repeated "".join n-grams. */
  dup(n: number): number {
    const nw = this.words;
    if (nw < n) return 0;
    const { pos, hch, concat, text, spans } = this;
    const p1 = pow1;
    concat.reset(nw - n + 1);
    let repeated = 0;
    let i = 0;
    while (i + n <= nw) {
      const d = pos[i + n]! - pos[i]!;
      if (concat.seen((hch[pos[i + n]!]! - Math.imul(hch[pos[i]!]!, p1[d]!)) | 0, d, i, text, spans)) {
        repeated += d;
        i += n;
      } else i++;
    }
    return repeated;
  }

  /**
   * Collects in `starts` every word position whose M characters of C (M: the shortest
   * "".join of n words) equal those from an earlier word start (or share their key). A
   * repeat that find_all_duplicate counts at m >= n words starts at such a position: its
   * characters equal those of an earlier n-gram, and M is no longer than either.
   */
  repeatStarts(n: number): void {
    const nw = this.words;
    this.nStarts = 0;
    this.m = 0;
    if (nw < n) return;
    const { pos, hch, keys } = this;
    let m = this.chars; // an int from the start, so that the loop stays in integers
    for (let i = 0; i + n <= nw; i++) m = Math.min(m, pos[i + n]! - pos[i]!);
    this.m = m;
    const pm = pow1[m]!;
    const last = this.chars - m;
    keys.reset(nw);
    if (this.starts.length < nw) this.starts = new Int32Array(Math.max(nw, 2 * this.starts.length));
    const starts = this.starts;
    let r = 0;
    for (let i = 0; i < nw; i++) {
      const s = pos[i]!;
      if (s > last) break; // no n-gram from here is M characters long
      // Written always, kept when seen: no branch on the (unpredictable) answer.
      starts[r] = i;
      r += keys.seen((hch[s + m]! - Math.imul(hch[s]!, pm)) | 0);
    }
    this.nStarts = r;
  }

  /**
   * The same from the other side, for the M of the last repeatStarts(): flags in
   * `endFlags` every word whose last M characters of C (up to its end) equal those before
   * an earlier word end. A counted repeat of m words from i has both i in `starts` and
   * word i + m - 1 flagged here.
   */
  repeatEnds(): void {
    const nw = this.words;
    const { pos, hch, keys } = this;
    if (this.endFlags.length < nw) this.endFlags = new Uint8Array(Math.max(nw, 2 * this.endFlags.length));
    const flags = this.endFlags;
    flags.fill(0, 0, nw);
    const m = this.m;
    if (m === 0) return;
    const pm = pow1[m]!;
    keys.reset(nw);
    for (let i = 0; i < nw; i++) {
      const e = pos[i + 1]!;
      if (e >= m) flags[i] = keys.seen((hch[e]! - Math.imul(hch[e - m]!, pm)) | 0);
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

/**
 * A set of concatenated n-grams (runs of C from word starts), reused across documents: 4-int
 * slots [key, length, first word, 1 when used], equal keys and lengths confirmed character
 * by character.
 */
class ConcatSet extends SlotTable {

  /** True when the d characters of C from word i (key k) were added before; otherwise adds them. */
  seen(k: number, d: number, i: number, text: string, spans: WordSpans): boolean {
    const t = this.t;
    for (let s = slotOf(k, this.shift); ; s = (s + 1) & this.mask) {
      const o = s << 2;
      if (t[o + 3] === 0) {
        t[o] = k;
        t[o + 1] = d;
        t[o + 2] = i;
        t[o + 3] = 1;
        return false;
      }
      if (t[o] === k && t[o + 1] === d && sameConcat(text, spans, t[o + 2]!, i, d)) return true;
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

const index = new NgramIndex();

/** The smallest n of a list of [n, max] rules. */
function smallestN(list: [number, number][]): number {
  let k = Infinity;
  for (const [n] of list) k = Math.min(k, n);
  return k;
}

/**
 * An upper bound on count * joined length of the top n-gram from s = topBound(k), k <= n.
 * The n-gram is covered by p = ceil(n / k) of its k-grams (its first k words, the next k,
 * ..., its last k), so its joined length is at most theirs plus p - 1 spaces. Each k-gram
 * is seen at least as often as the n-gram (count c), so c times its length is at most s;
 * and its length is at least 2k - 1, so c is at most s / (2k - 1).
 */
export function coverBound(n: number, k: number, s: number): number {
  const p = Math.ceil(n / k);
  return p * s + (p - 1) * Math.floor(s / (2 * k - 1));
}

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
    // A pass is skipped where a bound shows its rule cannot fire. Top: the sums of one pass
    // at the smallest n bound every rule (coverBound); a rule gets a pass of sums of its own
    // where that bound allows it to fire, and an exact count where its own bound does.
    const k = smallestN(p.topNgrams);
    const sk = p.topNgrams.length > 0 ? index.topBound(k) : 0;
    for (const [n, max] of p.topNgrams) {
      if (nw < n || !(coverBound(n, k, sk) / total > max)) continue;
      if (n !== k && !(index.topBound(n) / total > max)) continue;
      const count = index.top(n);
      if ((count * index.joinedLength(index.topAt, n)) / total > max) return `top_${n}_gram`;
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
