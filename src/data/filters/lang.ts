// Language identification with a score (eld, a maintained n-gram detector in plain JS),
// and the filter that keeps the languages asked for. The score is eld's confidence of
// the top language. eld itself reads only the first 1,000 characters, and of those the words
// up to about 380 UTF-8 bytes; langid.ts computes its result without eld's per-call overhead.

import { eldDetect } from './langid.js';
import type { Doc } from '../doc.js';
import type { Stage } from '../stage.js';

/** Detects the language of a text: ISO 639-1 code ('' when none) and a score in [0, 1]. */
export function detectLanguage(text: string): { lang: string; score: number } {
  const r = eldDetect(text);
  if (!r.language) return { lang: 'unknown', score: 0 };
  return { lang: r.language, score: r.score };
}

export class LanguageFilter implements Stage {
  readonly name = 'language';
  private readonly wanted: Set<string>;

  constructor(langs: string[], private readonly minScore: number) {
    this.wanted = new Set(langs);
  }

  apply(doc: Doc): string | undefined {
    const { lang, score } = detectLanguage(doc.text);
    doc.lang = lang;
    doc.langScore = score;
    if (this.wanted.size > 0 && !this.wanted.has(lang)) return 'language_not_wanted';
    if (score < this.minScore) return 'low_language_score';
    return undefined;
  }
}
