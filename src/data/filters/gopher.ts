// Gopher quality and repetition filters (Rae et al. 2021, as datatrove implements them):
// word counts and lengths, symbol and ellipsis ratios, bullets, stop words; duplicated
// lines and paragraphs, and the character share of frequent and repeated n-grams.

import type { Doc } from '../doc.js';
import type { GopherQualityParams, GopherRepetitionParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { hasLetter, isSymbolWord, wordsOf } from '../words.js';
import { fmix32, hashRange } from '../hash.js';

const BULLETS = /^\s*[•‣⁃◦∙·*\-–—]\s/;
const ELLIPSIS_END = /(\.\.\.|…)\s*$/;

export class GopherQuality implements Stage {
  readonly name = 'gopher_quality';
  private stopFor: string[] | undefined;
  private stopSet = new Set<string>();
  private maxStopLength = 0;
  constructor(private readonly p: GopherQualityParams, private readonly perLang?: Record<string, Partial<GopherQualityParams>>) {}

  /** Caches the stop-word set of the last list used (lists change only with the language). */
  private setStop(list: string[]): Set<string> {
    this.stopFor = list;
    this.stopSet = new Set(list.map((w) => w.toLowerCase()));
    this.maxStopLength = Math.max(0, ...list.map((w) => w.length));
    return this.stopSet;
  }

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const text = doc.text;
    const words = wordsOf(doc);
    // One pass: non-symbol words and their length, words with a letter, stop words.
    const stop = p.stopWords === this.stopFor ? this.stopSet : this.setStop(p.stopWords);
    let n = 0;
    let chars = 0;
    let alpha = 0;
    let stops = 0;
    for (const w of words) {
      if (!isSymbolWord(w)) {
        n++;
        chars += w.length; // UTF-16 units: exact for BMP text, which is nearly all
      }
      if (hasLetter(w)) alpha++;
      if (w.length <= this.maxStopLength && stop.has(isLowerAscii(w) ? w : w.toLowerCase())) stops++;
    }
    if (n < p.minWords) return 'too_few_words';
    if (n > p.maxWords) return 'too_many_words';
    const avg = chars / n;
    if (avg < p.minAvgWordLength) return 'short_avg_word_length';
    if (avg > p.maxAvgWordLength) return 'long_avg_word_length';
    const nWords = Math.max(1, words.length);
    if (countOf(text, '#') / nWords > p.maxSymbolWordRatio) return 'too_many_hashes';
    if ((countOf(text, '...') + countOf(text, '…')) / nWords > p.maxSymbolWordRatio) return 'too_many_ellipsis';
    const lines = text.split('\n');
    if (lines.filter((l) => BULLETS.test(l)).length / lines.length > p.maxBulletLinesRatio) return 'too_many_bullet_lines';
    if (lines.filter((l) => ELLIPSIS_END.test(l)).length / lines.length > p.maxEllipsisLinesRatio) return 'too_many_ellipsis_lines';
    if (alpha / nWords < p.minAlphaWordsRatio) return 'too_few_alpha_words';
    if (stops < p.minStopWords) return 'too_few_stop_words';
    return undefined;
  }
}

/** True when toLowerCase() would return the word unchanged because it is ASCII without capitals. */
function isLowerAscii(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c > 127 || (c >= 65 && c <= 90)) return false;
  }
  return true;
}

function countOf(text: string, sub: string): number {
  let n = 0;
  for (let i = text.indexOf(sub); i >= 0; i = text.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Duplicate elements: [count of duplicated items, their characters]. */
function duplicates(items: string[]): [number, number] {
  const seen = new Set<string>();
  let n = 0;
  let chars = 0;
  for (const x of items) {
    if (seen.has(x)) {
      n++;
      chars += x.length;
    } else seen.add(x);
  }
  return [n, chars];
}

/**
 * Counts of 64-bit n-gram keys (two uint32 lanes) in an open-addressing table, reused
 * across documents: far cheaper than a Map of 52-bit float keys.
 */
class NgramCounts {
  private k1 = new Uint32Array(1024);
  private k2 = new Uint32Array(1024);
  private c = new Uint32Array(1024);
  private mask = 1023;

  /** Empties the table, sized for `n` distinct keys. */
  reset(n: number): void {
    let cap = 1024;
    while (cap < n * 2) cap *= 2;
    if (cap !== this.c.length) {
      this.k1 = new Uint32Array(cap);
      this.k2 = new Uint32Array(cap);
      this.c = new Uint32Array(cap);
      this.mask = cap - 1;
    } else this.c.fill(0);
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
  wh = new Uint32Array(1024);
  wl = new Uint32Array(1024);
  a = new Uint32Array(1024);
  b = new Uint32Array(1024);
  len = 0;
  n = 0;

  /** Hashes the words (wh) and their lengths (wl), and starts at n = 1. */
  load(words: string[]): void {
    const len = words.length;
    if (this.wh.length < len) {
      const cap = Math.max(len, this.wh.length * 2);
      this.wh = new Uint32Array(cap);
      this.wl = new Uint32Array(cap);
      this.a = new Uint32Array(cap);
      this.b = new Uint32Array(cap);
    }
    const { wh, wl, a, b } = this;
    for (let i = 0; i < len; i++) {
      const w = words[i]!;
      const h = hashRange(w, 0, w.length, 7);
      wh[i] = h;
      wl[i] = w.length;
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
    const paras = text.split(/\n{2,}/).map((s) => s.trim()).filter(Boolean);
    const [pd, pc] = duplicates(paras);
    if (paras.length > 0 && pd / paras.length > p.dupParaFrac) return 'dup_para_frac';
    if (pc / total > p.dupParaCharFrac) return 'dup_para_char_frac';
    const lines = text.split('\n').map((s) => s.trim()).filter(Boolean);
    const [ld, lc] = duplicates(lines);
    if (lines.length > 0 && ld / lines.length > p.dupLineFrac) return 'dup_line_frac';
    if (lc / total > p.dupLineCharFrac) return 'dup_line_char_frac';

    const words = wordsOf(doc);
    roll.load(words);
    const wl = roll.wl;
    const ascending = ascends(p.topNgrams, p.dupNgrams);
    for (const [n, max] of p.topNgrams) {
      if (words.length < n) continue;
      roll.to(n);
      table.reset(words.length);
      let best = 0;
      let bestAt = 0;
      for (let i = 0; i + n <= words.length; i++) {
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
      if (words.length < n) continue;
      // Both lists are in ascending n (datatrove's and FineWeb-2's are), which rolling needs.
      if (n < roll.n) throw new Error('gopherRepetition n-gram lengths must ascend across topNgrams and dupNgrams');
      roll.to(n);
      table.reset(words.length);
      let repeated = 0;
      let i = 0;
      while (i + n <= words.length) {
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
