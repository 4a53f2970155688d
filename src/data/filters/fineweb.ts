// FineWeb's own quality filter (datatrove FineWebQualityFilter): share of lines ending in
// punctuation, share of short lines, characters in duplicated lines, newlines per word.

import type { Doc } from '../doc.js';
import type { FineWebParams } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { wordsOf } from '../words.js';

const TERMINAL = /[.?!"'。！？”’」』…:;：；)）]$/;

export class FineWeb implements Stage {
  readonly name = 'fineweb';
  constructor(private readonly p: FineWebParams, private readonly perLang?: Record<string, Partial<FineWebParams>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const lines = doc.text.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length === 0) return 'empty';
    if (lines.filter((l) => TERMINAL.test(l)).length / lines.length < p.linePunctThr) return 'line_punct_ratio';
    if (lines.filter((l) => [...l].length <= p.shortLineLength).length / lines.length > p.shortLineThr) return 'short_line_ratio';
    const seen = new Set<string>();
    let dupChars = 0;
    let chars = 0;
    for (const l of lines) {
      chars += l.length;
      if (seen.has(l)) dupChars += l.length;
      else seen.add(l);
    }
    if (dupChars / Math.max(1, chars) > p.charDupRatio) return 'char_dup_ratio';
    const words = wordsOf(doc).length;
    if (countNewlines(doc.text) / Math.max(1, words) > p.newLineRatio) return 'list_ratio';
    return undefined;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
