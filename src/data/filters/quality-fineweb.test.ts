// FineWeb's word count that stops once the newline ratio is cleared, against the full
// count: same decisions for any threshold (zero, negative, tiny, huge), language and text.

import { finewebReference } from '../../../test/helpers/filter-references.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultConfig } from '../config.js';
import type { Doc } from '../doc.js';
import { splitWords, wordSpansOf } from '../words.js';
import { FineWeb, wordsToClear } from './fineweb.js';

const cfg = defaultConfig();
const doc = (text: string, lang: string): Doc => ({ id: 'x', file: 0, record: 0, text, source: 's', license: 'l', lang });

test('wordsToClear is a word count past which the newline ratio never exceeds the threshold', () => {
  fc.assert(
    fc.property(fc.nat(100_000), fc.oneof(fc.double({ min: 1e-9, max: 10, noNaN: true }), fc.constantFrom(0.3, 0.178, 1 / 3, 0.1)), (newlines, ratio) => {
      const w = wordsToClear(newlines, ratio);
      assert.ok(Number.isFinite(w) && w >= 1);
      assert.ok(!(newlines / w > ratio));
      assert.ok(!(newlines / (w + 12345) > ratio));
    }),
    { numRuns: 5000 },
  );
  assert.equal(wordsToClear(5, 0), Infinity);
  assert.equal(wordsToClear(5, -1), Infinity);
  assert.equal(wordsToClear(5, NaN), Infinity);
});

test('FineWeb decides as its line-array definition with the full word count', () => {
  const ref = (p: typeof cfg.params.fineweb, text: string, lang: string) => finewebReference(p, text, splitWords(text, lang).length);
  const pieces = [
    'A sentence that ends well.', 'one two three four five six seven eight nine ten.', 'short.', 'x', '\n', '\n', '\n\n', '  ', '\u3000', '\u2003',
    '中文句子。', '中文的长句子很长很长很长。', '\ud83d\ude00'.repeat(12) + '.', '\ud840\udc00字。', 'y'.repeat(35) + '.',
    'short', 'A line without an end', 'Same line again.', '\ud83d\ude00'.repeat(12), 'x'.repeat(35),
  ];
  const ratio = fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), fc.constantFrom(0, -1, 1e-12, 0.3, 0.178, Infinity));
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), fc.constantFrom('en', 'zh'), ratio, fc.boolean(), (parts, lang, newLineRatio, cached) => {
      const p = { ...cfg.params.fineweb, linePunctThr: 0, shortLineThr: 1.01, charDupRatio: 1, newLineRatio };
      const text = parts.join(' ');
      const d = doc(text, lang);
      // With the split cached (as after the Gopher filters) and without.
      if (cached) wordSpansOf(d);
      assert.equal(new FineWeb(p).apply(d), ref(p, text, lang));
      assert.equal(new FineWeb(cfg.params.fineweb).apply(doc(text, lang)), ref(cfg.params.fineweb, text, lang));
    }),
    { numRuns: 4000 },
  );
});
