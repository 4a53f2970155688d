// The Gopher quality filter over word offsets, shapes and cached stop-word matchers,
// against a string-based reference (split words, filter them, count): same reason for
// every document, with languages interleaved through one filter as in a real run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultConfig, type GopherQualityParams } from '../config.js';
import type { Doc } from '../doc.js';
import { hasLetter, isSymbolWord, splitWords } from '../words.js';
import { GopherQuality } from './gopher.js';

const cfg = defaultConfig();
const doc = (text: string, lang: string): Doc => ({ id: 'x', file: 0, record: 0, text, source: 's', license: 'l', lang });
const occurrences = (text: string, sub: string) => text.split(sub).length - 1;

/** The rules on strings: datatrove's GopherQualityFilter as this project reads it. */
function reference(p: GopherQualityParams, text: string, lang: string): string | undefined {
  const words = splitWords(text, lang);
  const kept = words.filter((w) => !isSymbolWord(w));
  if (kept.length < p.minWords) return 'too_few_words';
  if (kept.length > p.maxWords) return 'too_many_words';
  const avg = kept.reduce((a, w) => a + w.length, 0) / kept.length;
  if (avg < p.minAvgWordLength) return 'short_avg_word_length';
  if (avg > p.maxAvgWordLength) return 'long_avg_word_length';
  const n = Math.max(1, words.length);
  if (occurrences(text, '#') / n > p.maxSymbolWordRatio) return 'too_many_hashes';
  if ((occurrences(text, '...') + occurrences(text, '…')) / n > p.maxSymbolWordRatio) return 'too_many_ellipsis';
  const lines = text.split('\n');
  if (lines.filter((l) => /^\s*[•‣⁃◦∙·*\-–—]\s/.test(l)).length / lines.length > p.maxBulletLinesRatio) return 'too_many_bullet_lines';
  if (lines.filter((l) => /(\.\.\.|…)\s*$/.test(l)).length / lines.length > p.maxEllipsisLinesRatio) return 'too_many_ellipsis_lines';
  if (words.filter(hasLetter).length / n < p.minAlphaWordsRatio) return 'too_few_alpha_words';
  const stop = new Set(p.stopWords.map((w) => w.toLowerCase()));
  if (words.filter((w) => stop.has(w.toLowerCase())).length < p.minStopWords) return 'too_few_stop_words';
  return undefined;
}

test('Gopher quality decides as the string reference, languages interleaved', () => {
  const zh = cfg.langParams.zh!.gopherQuality!;
  const pieces = [
    'the', 'THE', 'And', 'of', 'with', 'them', 'the,', 'word', 'longerwordhere', 'x1', '42', '#', '##', '...', '…', '!', '—', '«»', 'é', 'Ωmega',
    '\ud83d\ude00', '\ud840\udc00', '的', '是', '了', '中', '文', '，', '。', 'ไทย', '\u212a', '\x01', ' ', ' ', ' ', '\n', '\n• ', '\n- ', ' ...\n', '\u3000', '\u00a0',
  ];
  const params = fc.record({
    minWords: fc.integer({ min: 0, max: 12 }),
    maxWords: fc.integer({ min: 5, max: 60 }),
    minAvgWordLength: fc.constantFrom(0, 1, 2, 3),
    maxAvgWordLength: fc.constantFrom(3, 5, 10, 100),
    maxSymbolWordRatio: fc.constantFrom(0, 0.1, 0.5, 1),
    maxBulletLinesRatio: fc.constantFrom(0.2, 0.9),
    maxEllipsisLinesRatio: fc.constantFrom(0.1, 0.3),
    minAlphaWordsRatio: fc.constantFrom(0, 0.5, 0.8),
    minStopWords: fc.integer({ min: 0, max: 4 }),
  });
  fc.assert(
    fc.property(params, fc.array(fc.tuple(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), fc.constantFrom('en', 'zh', 'fr')), { minLength: 1, maxLength: 6 }), (q, docs) => {
      const p: GopherQualityParams = { ...cfg.params.gopherQuality, ...q };
      const perLang = { zh: { ...zh, minWords: q.minWords } };
      // One filter for the whole run, as the pipeline has: its stop-word matchers persist.
      const g = new GopherQuality(p, perLang);
      for (const [parts, lang] of docs) {
        const text = parts.join(parts.length % 3 === 0 ? '' : ' ');
        assert.equal(g.apply(doc(text, lang)), reference(lang === 'zh' ? { ...p, ...perLang.zh } : p, text, lang), `${lang}: ${JSON.stringify(text)}`);
      }
    }),
    { numRuns: 2000 },
  );
});
