// Gopher quality and repetition filters (Rae et al. 2021, as datatrove implements them):
// word counts and lengths, symbol and ellipsis ratios, bullets, stop words; duplicated
// lines and paragraphs, and the character share of frequent and repeated n-grams.

import type { Doc } from '../doc.js';
import type { GopherQualityParams, GopherRepetitionParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { hasLetterSpan, isSpace, isSymbolSpan, wordSpansOf, type WordSpans } from '../words.js';
import { fmix32, hashRange } from '../hash.js';


export class GopherQuality implements Stage {
  readonly name = 'gopher_quality';
  private stopFor: string[] | undefined;
  private stop = new StopWords([]);
  constructor(private readonly p: GopherQualityParams, private readonly perLang?: Record<string, Partial<GopherQualityParams>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const text = doc.text;
    const { count, start, end } = wordSpansOf(doc);
    // The stop-word matcher of the last list used (lists change only with the language).
    if (p.stopWords !== this.stopFor) {
      this.stopFor = p.stopWords;
      this.stop = new StopWords(p.stopWords);
    }
    const stop = this.stop;
    // One pass: non-symbol words and their length, words with a letter, stop words (only
    // counted up to the minimum, which is all the rule needs).
    let n = 0;
    let chars = 0;
    let alpha = 0;
    let stops = 0;
    for (let i = 0; i < count; i++) {
      const s = start[i]!;
      const e = end[i]!;
      if (!isSymbolSpan(text, s, e)) {
        n++;
        chars += e - s; // UTF-16 units: exact for BMP text, which is nearly all
      }
      if (hasLetterSpan(text, s, e)) alpha++;
      if (stops < p.minStopWords && stop.has(text, s, e)) stops++;
    }
    if (n < p.minWords) return 'too_few_words';
    if (n > p.maxWords) return 'too_many_words';
    const avg = chars / n;
    if (avg < p.minAvgWordLength) return 'short_avg_word_length';
    if (avg > p.maxAvgWordLength) return 'long_avg_word_length';
    const nWords = Math.max(1, count);
    if (countOf(text, '#') / nWords > p.maxSymbolWordRatio) return 'too_many_hashes';
    if ((countOf(text, '...') + countOf(text, '…')) / nWords > p.maxSymbolWordRatio) return 'too_many_ellipsis';
    const [lines, bullets, ellipses] = lineShapes(text);
    if (bullets / lines > p.maxBulletLinesRatio) return 'too_many_bullet_lines';
    if (ellipses / lines > p.maxEllipsisLinesRatio) return 'too_many_ellipsis_lines';
    if (alpha / nWords < p.minAlphaWordsRatio) return 'too_few_alpha_words';
    if (stops < p.minStopWords) return 'too_few_stop_words';
    return undefined;
  }
}

const BULLET_CHARS = new Set([...'•‣⁃◦∙·*-–—'].map((c) => c.charCodeAt(0)));

/**
 * Over the lines of text.split('\n'): [lines, lines matching /^\s*[•‣⁃◦∙·*\-–—]\s/ (bullets),
 * lines matching /(\.\.\.|…)\s*$/ (ending in an ellipsis)], in one pass.
 */
export function lineShapes(text: string): [number, number, number] {
  let lines = 0;
  let bullets = 0;
  let ellipses = 0;
  const len = text.length;
  for (let s = 0; s <= len; ) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = len;
    lines++;
    let i = s;
    while (i < e && isSpace(text.charCodeAt(i))) i++;
    if (i + 1 < e && BULLET_CHARS.has(text.charCodeAt(i)) && isSpace(text.charCodeAt(i + 1))) bullets++;
    let j = e;
    while (j > s && isSpace(text.charCodeAt(j - 1))) j--;
    if ((j - s >= 1 && text.charCodeAt(j - 1) === 0x2026) || (j - s >= 3 && text.charCodeAt(j - 1) === 46 && text.charCodeAt(j - 2) === 46 && text.charCodeAt(j - 3) === 46)) ellipses++;
    s = e + 1;
  }
  return [lines, bullets, ellipses];
}

/**
 * Stop-word lookup on a span of the text, case-insensitive like comparing
 * text.slice(s, e).toLowerCase() with the lower-cased list: ASCII words hash in place and
 * compare against the few list entries with that hash; single characters are memoised;
 * anything else takes the string path.
 */
class StopWords {
  private readonly set: Set<string>;
  private readonly maxLength: number;
  private readonly byHash = new Map<number, string[]>();
  private readonly single = new Map<number, boolean>();

  constructor(list: string[]) {
    this.set = new Set(list.map((w) => w.toLowerCase()));
    this.maxLength = Math.max(0, ...list.map((w) => w.length));
    for (const w of this.set) {
      if (!/^[\x00-\x7f]*$/.test(w)) continue;
      let h = 0;
      for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
      const l = this.byHash.get(h);
      if (l) l.push(w);
      else this.byHash.set(h, [w]);
    }
  }

  has(text: string, s: number, e: number): boolean {
    if (e - s > this.maxLength) return false;
    if (e - s === 1 && text.charCodeAt(s) > 127) {
      const c = text.charCodeAt(s);
      let v = this.single.get(c);
      if (v === undefined) this.single.set(c, (v = this.set.has(String.fromCharCode(c).toLowerCase())));
      return v;
    }
    let h = 0;
    for (let i = s; i < e; i++) {
      let c = text.charCodeAt(i);
      if (c > 127) return this.set.has(text.slice(s, e).toLowerCase());
      if (c >= 65 && c <= 90) c |= 32;
      h = Math.imul(h ^ c, 0x01000193);
    }
    const cands = this.byHash.get(h);
    if (!cands) return false;
    outer: for (const w of cands) {
      if (w.length !== e - s) continue;
      for (let i = 0; i < w.length; i++) {
        let c = text.charCodeAt(s + i);
        if (c >= 65 && c <= 90) c |= 32;
        if (c !== w.charCodeAt(i)) continue outer;
      }
      return true;
    }
    return false;
  }
}

function countOf(text: string, sub: string): number {
  let n = 0;
  for (let i = text.indexOf(sub); i >= 0; i = text.indexOf(sub, i + sub.length)) n++;
  return n;
}

/**
 * Duplicated segments of a text, as Set-based counting over the trimmed, non-empty pieces
 * of text.split(/\n{2,}/) (paragraphs) or text.split('\n') (lines) would give:
 * [pieces, duplicated pieces, their characters]. Pieces are offsets, hashed in place and
 * compared character by character on equal hashes, so no string is built.
 */
export function duplicateSegments(text: string, paragraphs: boolean): [number, number, number] {
  const len = text.length;
  let pieces = 0;
  let dup = 0;
  let chars = 0;
  segs.reset();
  for (let s = 0; s <= len; ) {
    let e = text.indexOf('\n', s);
    if (paragraphs) while (e >= 0 && text.charCodeAt(e + 1) !== 10) e = text.indexOf('\n', e + 1);
    if (e < 0) e = len;
    let a = s;
    let b = e;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    if (b > a) {
      pieces++;
      if (!segs.add(text, a, b)) {
        dup++;
        chars += b - a;
      }
    }
    // Past the separator: one newline, or the whole run of two or more.
    s = e + 1;
    if (paragraphs) while (s < len && text.charCodeAt(s) === 10) s++;
  }
  return [pieces, dup, chars];
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
    const h = hashRange(text, a, b, 0x51) | 0;
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

/**
 * Counts of 64-bit n-gram keys (two uint32 lanes) in an open-addressing table, reused
 * across documents: far cheaper than a Map of 52-bit float keys.
 */
class NgramCounts {
  private k1 = new Int32Array(1024);
  private k2 = new Int32Array(1024);
  private c = new Uint32Array(1024);
  private mask = 1023;
  // Slots filled since the last reset: clearing them is cheaper than clearing the table,
  // which keeps the size of the largest document seen.
  private touched = new Int32Array(512);
  private nTouched = 0;

  /** Empties the table and uses 2^k >= 2n of its slots (n: distinct keys to come, at most). */
  reset(n: number): void {
    for (let t = 0; t < this.nTouched; t++) this.c[this.touched[t]!] = 0;
    this.nTouched = 0;
    let cap = 1024;
    while (cap < n * 2) cap *= 2;
    if (cap > this.c.length) {
      this.k1 = new Int32Array(cap);
      this.k2 = new Int32Array(cap);
      this.c = new Uint32Array(cap);
    }
    if (this.touched.length < n) this.touched = new Int32Array(n);
    this.mask = cap - 1;
  }

  /** Adds one to a key's count and returns the new count. */
  add(a: number, b: number): number {
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    for (;;) {
      const c = this.c[i]!;
      if (c === 0) {
        this.k1[i] = a;
        this.k2[i] = b;
        this.c[i] = 1;
        this.touched[this.nTouched++] = i;
        return 1;
      }
      if (this.k1[i] === a && this.k2[i] === b) return (this.c[i] = c + 1);
      i = (i + 1) & this.mask;
    }
  }
}

/**
 * Rolling n-gram hashes: lanes a/b hold the hash of words[i, i+n) for the current n;
 * extend() moves to n+1 with one mix per position, so all n from 2 to 10 cost about as
 * much as hashing each word ten times instead of once per word per n-gram length.
 */
class RollingNgrams {
  // Scratch reused across documents (grown as needed); valid up to `len`.
  // Hashes are stored as int32 (the same bits): V8 keeps them in integer registers,
  // where uint32 values of 2^31 and up would become doubles.
  wh = new Int32Array(1024);
  wl = new Uint32Array(1024);
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  len = 0;
  n = 0;

  /** Hashes the words (wh) and their lengths (wl), and starts at n = 1. */
  load(text: string, spans: WordSpans): void {
    const len = spans.count;
    if (this.wh.length < len) {
      const cap = Math.max(len, this.wh.length * 2);
      this.wh = new Int32Array(cap);
      this.wl = new Uint32Array(cap);
      this.a = new Int32Array(cap);
      this.b = new Int32Array(cap);
    }
    const { wh, wl, a, b } = this;
    for (let i = 0; i < len; i++) {
      const s = spans.start[i]!;
      const e = spans.end[i]!;
      const h = hashRange(text, s, e, 7);
      wh[i] = h;
      wl[i] = e - s;
      a[i] = h;
      b[i] = fmix32(h ^ 0x3b9aca07);
    }
    this.len = len;
    this.n = 1;
  }

  /** Advances to n-grams of length `n` (n >= current). */
  to(n: number): void {
    const { wh, a, b, len } = this;
    while (this.n < n) {
      const k = this.n;
      for (let i = 0; i + k < len; i++) {
        a[i] = fmix32(Math.imul(a[i]!, 0x01000193) ^ wh[i + k]!);
        b[i] = fmix32(b[i]! + wh[i + k]! + k);
      }
      this.n++;
    }
  }
}

const roll = new RollingNgrams();
const table = new NgramCounts();

/** True when the n-gram lengths never decrease across both lists (what the early exits need). */
function ascends(top: [number, number][], dup: [number, number][]): boolean {
  let last = 0;
  for (const [n] of top) if (n < last) return false; else last = n;
  for (const [n] of dup) if (n < last) return false; else last = n;
  return true;
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
    roll.load(text, spans);
    const wl = roll.wl;
    const ascending = ascends(p.topNgrams, p.dupNgrams);
    for (const [n, max] of p.topNgrams) {
      if (nw < n) continue;
      roll.to(n);
      table.reset(nw);
      let best = 0;
      let bestAt = 0;
      for (let i = 0; i + n <= nw; i++) {
        const c = table.add(roll.a[i]!, roll.b[i]!);
        if (c > best) {
          best = c;
          bestAt = i;
        }
      }
      // Every n-gram distinct: so is every longer one (barring a 64-bit hash collision),
      // and no later rule can fire.
      if (best <= 1 && ascending) return undefined;
      {
        let len = 0;
        for (let j = bestAt; j < bestAt + n; j++) len += wl[j]!;
        if ((best * len) / total > max) return `top_${n}_gram`;
      }
    }
    for (const [n, max] of p.dupNgrams) {
      if (nw < n) continue;
      // Both lists are in ascending n (datatrove's and FineWeb-2's are), which rolling needs.
      if (n < roll.n) throw new Error('gopherRepetition n-gram lengths must ascend across topNgrams and dupNgrams');
      roll.to(n);
      table.reset(nw);
      let repeated = 0;
      let i = 0;
      while (i + n <= nw) {
        if (table.add(roll.a[i]!, roll.b[i]!) > 1) {
          for (let j = i; j < i + n; j++) repeated += wl[j]!;
          i += n;
        } else i++;
      }
      if (repeated / total > max) return `duplicated_${n}_n_grams`;
      // No n-gram repeated (none was skipped over, so all were distinct): neither will any longer one.
      if (repeated === 0 && ascending) return undefined;
    }
    return undefined;
  }
}
