// Gopher quality filter (Rae et al. 2021, as datatrove implements it): word counts and
// lengths, symbol and ellipsis ratios, bullets, stop words. The repetition filter is in
// gopher-repetition.ts.

import type { Doc } from '../doc.js';
import type { GopherQualityParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { isSpace, LETTER_WORD, SYMBOL_WORD, wordShape, wordSpansOf } from '../words.js';


export class GopherQuality implements Stage {
  readonly name = 'gopher_quality';
  // A stop-word matcher per list: documents of different languages interleave.
  private readonly stops = new Map<string[], StopWords>();
  constructor(private readonly p: GopherQualityParams, private readonly perLang?: Record<string, Partial<GopherQualityParams>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const text = doc.text;
    const { count, start, end } = wordSpansOf(doc);
    const stop = this.stopWordsFor(p.stopWords);
    // One pass: non-symbol words and their length, words with a letter, stop words (only
    // counted up to the minimum, which is all the rule needs).
    let n = 0;
    let chars = 0;
    let alpha = 0;
    let stops = 0;
    for (let i = 0; i < count; i++) {
      const s = start[i]!;
      const e = end[i]!;
      // Added without branches: punctuation among Chinese characters would mispredict them.
      const shape = wordShape(text, s, e);
      const kept = (shape & SYMBOL_WORD) ^ SYMBOL_WORD; // 1 unless a symbol word
      n += kept;
      chars += (e - s) * kept; // UTF-16 units: exact for BMP text, which is nearly all
      alpha += (shape & LETTER_WORD) >> 1; // LETTER_WORD is bit 1
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

  private stopWordsFor(list: string[]): StopWords {
    let m = this.stops.get(list);
    if (!m) this.stops.set(list, (m = new StopWords(list)));
    return m;
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
