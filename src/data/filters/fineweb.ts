// FineWeb's own quality filter (datatrove FineWebQualityFilter): share of lines ending in
// punctuation, share of short lines, characters in duplicated lines, newlines per word.

import type { Doc } from '../doc.js';
import type { FineWebParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { countWords } from '../words.js';

const TERMINAL = /[.?!"'。！？”’」』…:;：；)）]$/;

export class FineWeb implements Stage {
  readonly name = 'fineweb';
  constructor(private readonly p: FineWebParams, private readonly perLang?: Record<string, Partial<FineWebParams>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const lines = doc.text.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length === 0) return 'empty';
    if (lines.filter((l) => TERMINAL.test(l)).length / lines.length < p.linePunctThr) return 'line_punct_ratio';
    let short = 0;
    for (const l of lines) if (codePointsAtMost(l, p.shortLineLength)) short++;
    if (short / lines.length > p.shortLineThr) return 'short_line_ratio';
    const seen = new Set<string>();
    let dupChars = 0;
    let chars = 0;
    for (const l of lines) {
      chars += l.length;
      if (seen.has(l)) dupChars += l.length;
      else seen.add(l);
    }
    if (dupChars / Math.max(1, chars) > p.charDupRatio) return 'char_dup_ratio';
    const words = countWords(doc);
    if (countNewlines(doc.text) / Math.max(1, words) > p.newLineRatio) return 'list_ratio';
    return undefined;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** [...s].length <= max, counting code points (a lone surrogate counts as one) without an array. */
function codePointsAtMost(s: string, max: number): boolean {
  if (s.length <= max) return true;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    if (++n > max) return false;
  }
  return true;
}
