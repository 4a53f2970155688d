// C4's fast paths against the definitions they replace: the line word and sentence counts
// that stop at a bound against full counts, and the whole filter against a line-array
// reference on adversarial text.

import { c4Reference } from '../../../test/helpers/filter-references.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultConfig } from '../config.js';
import type { Doc } from '../doc.js';
import { splitUnspaced } from '../words.js';
import { C4, countLineWords, countSentences } from './c4.js';

const cfg = defaultConfig();
const doc = (text: string, lang: string): Doc => ({ id: 'x', file: 0, record: 0, text, source: 's', license: 'l', lang });

test('line word and sentence counts that stop at a bound equal the full counts, bounded', () => {
  const alphabet = ['a', 'b', 'bc', ' ', '\t', '\r', '\u3000', '\u00a0', '\u2003', '\v', '.', '?', '!', '...', '。', '！', '？', '中', '，', '\ud83d\ude00', '\ud840\udc00', '"'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), fc.boolean(), fc.integer({ min: 0, max: 6 }), fc.nat(4), fc.nat(4), (chars, unspaced, atMost, a, b) => {
      const s = chars.join('');
      const from = Math.min(a, s.length);
      const to = Math.max(from, s.length - b);
      const line = s.slice(from, to);
      // Spaced lines split on the whitespace C4 has always split lines on.
      const words = unspaced ? splitUnspaced(line).length : line.split(/[ \t\n\r\u3000\u00a0]+/).filter(Boolean).length;
      assert.equal(countLineWords(s, unspaced, from, to, atMost), Math.min(words, atMost));
      const re = unspaced ? /[。！？!?]+|[.](?=\s|$)/g : /[.?!]+(?=\s|$)/g;
      assert.equal(countSentences(s, unspaced), s.match(re)?.length ?? 0); // the whole string, by default
      const sentences = line.match(re)?.length ?? 0;
      assert.equal(countSentences(s, unspaced, from, to), sentences);
      assert.equal(countSentences(s, unspaced, from, to, atMost), Math.min(sentences, atMost));
    }),
    { numRuns: 5000 },
  );
});

test('C4 decides and rewrites as its line-array definition, on adversarial lines', () => {
  const ref = c4Reference;
  const pieces = [
    'One. Two! Three? Four... Five.', 'Many sentences. In. One. Line. Here. And. More.', 'A full sentence that ends here.', 'two words',
    'no end here at all', '  padded line of words.  ', 'A [1] B [2] C [edit] D.', '[', '] [ x [3', 'Cited [citation needed] fact.', '[12]',
    'java[1]script is joined.', 'polic[edit]y line here.', 'Read our COOKIE Policy now.', 'coo\u212aie policy word list.', 'LOREM IPSUM dolor.',
    '{ brace }', 'x'.repeat(40) + ' long word line.', '中文的句子很好。', '今天。明天！后天？', '中文\ud840\udc00字。', '\ud83d\ude00 emoji line here.',
    'a\u2003b\u2003c d.', '\u3000全角\u3000空格\u3000。', '', '', ' ', '\t', '\r',
    'Another one with four words!', 'See the note [12] for this claim.', '[edit]', 'Enable JavaScript to continue.',
    'This site uses cookies, sadly.', 'Lorem Ipsum dolor sit amet.', 'Read our Cookie Policy now.',
  ];
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...pieces), { maxLength: 24 }),
      fc.constantFrom('en', 'zh'),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 0, max: 5 }),
      (parts, lang, punct, cite, minSentences, minWordsPerLine) => {
        const p = { ...cfg.params.c4, filterNoTerminalPunct: punct, removeCitations: cite, minSentences, minWordsPerLine, maxWordLength: 30 };
        const text = parts.join('\n');
        const d = doc(text, lang);
        const got = new C4(p).apply(d);
        const [want, wantText] = ref(p, text, lang);
        assert.equal(got, want);
        if (want === undefined) assert.equal(d.text, wantText);
      },
    ),
    { numRuns: 4000 },
  );
});
