// Word splitting: the offset-based split, the counts that stop at a bound and the
// per-word shape equal the string definitions they stand in for, on odd inputs too
// (astral characters, lone surrogates, every kind of whitespace, CJK, long runs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  countUnspaced, countWords, hasLetter, isSymbolWord, LETTER_WORD, splitSpaces, splitUnspaced, splitWords, splitWordSpans,
  SYMBOL_WORD, wordShape, wordSpansOf,
} from './words.js';

// Pieces that exercise every branch: each whitespace \s accepts, ASCII and Latin-1,
// CJK and Thai, punctuation of both kinds, astral characters and a lone surrogate.
const PIECES = [
  'a', 'The', 'x1', '42', '!', '...', '#', '«', '’', 'é', 'ß', 'Ω', ' ', '  ', '\n', '\t', '\r\n', '\v', '\f', '\u00a0', '\u1680', '\u2003',
  '\u2028', '\u202f', '\u3000', '\ufeff', '\u200b', '中', '文', '，', '。', 'ひら', 'カタ', 'ไทย', '\u0e31', '\ud83d\ude00', '\ud840\udc00', '\ud800',
  '\u212a', '\u0130', '\x01', 'word'.repeat(30),
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((p) => p.join(''));
const lang = fc.constantFrom('en', 'zh', 'ja', 'th', undefined);

test('word spans are splitWords as offsets, for every language and odd input', () => {
  fc.assert(
    fc.property(text, lang, (s, l) => {
      const sp = splitWordSpans(s, l);
      const words = Array.from({ length: sp.count }, (_, i) => s.slice(sp.start[i], sp.end[i]));
      assert.deepEqual(words, splitWords(s, l));
    }),
    { numRuns: 3000 },
  );
  // Texts longer than the fixed scratch are split block by block: words across blocks.
  fc.assert(
    fc.property(text, lang, (s, l) => {
      const long = (s + ' x').repeat(Math.ceil(140_000 / (s.length + 2)));
      const sp = splitWordSpans(long, l);
      const words = Array.from({ length: sp.count }, (_, i) => long.slice(sp.start[i], sp.end[i]));
      assert.deepEqual(words, splitWords(long, l));
    }),
    { numRuns: 30 },
  );
  // Long texts grow the scratch arrays; empty and all-space texts have no words.
  const long = 'ab '.repeat(50_000) + '中文'.repeat(30_000);
  assert.equal(splitWordSpans(long, 'en').count, 50_001);
  assert.equal(splitWordSpans(long, 'zh').count, 50_000 + 60_000);
  assert.equal(splitWordSpans('', 'en').count, 0);
  assert.equal(splitWordSpans(' \n\u3000', 'en').count, 0);
});

test('splitSpaces and splitUnspaced equal their regex definitions', () => {
  const TOKEN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{P}]+|\p{P}/gu;
  fc.assert(
    fc.property(text, (s) => {
      assert.deepEqual(splitSpaces(s), s.split(/\s+/).filter(Boolean));
      assert.deepEqual(splitUnspaced(s), s.match(TOKEN) ?? []);
    }),
    { numRuns: 2000 },
  );
});

test('word counts that stop at a bound are min(the word count, the bound)', () => {
  fc.assert(
    fc.property(text, lang, fc.integer({ min: 0, max: 12 }), fc.nat(20), fc.nat(20), (s, l, atMost, a, b) => {
      const all = splitWords(s, l).length;
      assert.equal(countWords({ text: s, lang: l }), all);
      assert.equal(countWords({ text: s, lang: l }, atMost), Math.min(all, atMost));
      const from = Math.min(a, s.length);
      const to = Math.max(from, s.length - b);
      const slice = splitUnspaced(s.slice(from, to)).length;
      assert.equal(countUnspaced(s, Infinity, from, to), slice);
      assert.equal(countUnspaced(s, atMost, from, to), Math.min(slice, atMost));
    }),
    { numRuns: 3000 },
  );
  // The count of a document whose split is cached comes from the cache, bounded the same way.
  const d = { text: 'one two three four', lang: 'en' };
  wordSpansOf(d);
  assert.equal(countWords(d), 4);
  assert.equal(countWords(d, 2), 2);
});

test('wordShape is isSymbolWord and hasLetter of the word', () => {
  fc.assert(
    fc.property(text, lang, (s, l) => {
      const sp = splitWordSpans(s, l);
      for (let i = 0; i < sp.count; i++) {
        const w = s.slice(sp.start[i], sp.end[i]);
        const shape = wordShape(s, sp.start[i]!, sp.end[i]!);
        assert.equal((shape & SYMBOL_WORD) !== 0, isSymbolWord(w), w);
        assert.equal((shape & LETTER_WORD) !== 0, hasLetter(w), w);
      }
    }),
    { numRuns: 2000 },
  );
  // Every BMP code unit as a one-unit word, through the table and through the functions.
  for (let c = 0; c < 0x10000; c++) {
    const w = String.fromCharCode(c);
    const shape = wordShape(w, 0, 1);
    assert.equal((shape & SYMBOL_WORD) !== 0, isSymbolWord(w));
    assert.equal((shape & LETTER_WORD) !== 0, hasLetter(w));
  }
});
