// FineWeb's own quality filter (datatrove FineWebQualityFilter): share of lines ending in
// punctuation, share of short lines, characters in duplicated lines, newlines per word.

import type { Doc } from '../doc.js';
import type { FineWebParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { countWords, isSpace } from '../words.js';
import { duplicateSegments } from './gopher-repetition.js';

const TERMINAL = new Set([...'.?!"\'。！？”’」』…:;：；)）'].map((c) => c.charCodeAt(0)));

export class FineWeb implements Stage {
  readonly name = 'fineweb';
  constructor(private readonly p: FineWebParams, private readonly perLang?: Record<string, Partial<FineWebParams>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    // Over the trimmed non-empty lines, in one pass over offsets: how many, how many end in
    // terminal punctuation, how many are short, and their characters.
    const text = doc.text;
    const len = text.length;
    let lines = 0;
    let terminal = 0;
    let short = 0;
    let chars = 0;
    let newlines = 0;
    for (let s = 0; s <= len; ) {
      let e = text.indexOf('\n', s);
      if (e < 0) e = len;
      else newlines++;
      let a = s;
      let b = e;
      while (a < b && isSpace(text.charCodeAt(a))) a++;
      while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
      if (b > a) {
        lines++;
        chars += b - a;
        if (TERMINAL.has(text.charCodeAt(b - 1))) terminal++;
        if (codePointsAtMost(text, a, b, p.shortLineLength)) short++;
      }
      s = e + 1;
    }
    if (lines === 0) return 'empty';
    if (terminal / lines < p.linePunctThr) return 'line_punct_ratio';
    if (short / lines > p.shortLineThr) return 'short_line_ratio';
    const [, , dupChars] = duplicateSegments(text, false);
    if (dupChars / Math.max(1, chars) > p.charDupRatio) return 'char_dup_ratio';
    const words = countWords(doc, wordsToClear(newlines, p.newLineRatio));
    if (newlines / Math.max(1, words) > p.newLineRatio) return 'list_ratio';
    return undefined;
  }
}

/**
 * A word count at which newlines / words is no longer above `ratio`: the ratio only falls
 * as words grow, so counting can stop there. ceil(newlines / ratio) + 1 clears the
 * rounding of the division; Infinity (count them all) when the ratio is not positive.
 */
export function wordsToClear(newlines: number, ratio: number): number {
  return ratio > 0 ? Math.ceil(newlines / ratio) + 1 : Infinity;
}

/** [...s.slice(a, b)].length <= max, counting code points (a lone surrogate counts as one) without an array. */
function codePointsAtMost(s: string, a: number, b: number, max: number): boolean {
  if (b - a <= max) return true;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < b) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    if (++n > max) return false;
  }
  return true;
}
