// eldDetect against eld.detect() where its n-gram keys are at their most delicate: eld's
// byte dictionary turns many UTF-8 lead bytes (U+01C0-01FF, U+0280-037F with the combining
// marks, Armenian, Syriac to N'Ko, private use) into a space, so an n-gram's symbols can
// hold spaces and two n-grams made differently can be the same string; and the last
// n-gram of a word over 70 bytes is longer than a key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eld } from 'eld/small';
import { eldDetect } from './langid.js';

const want = (t: string) => {
  const e = eld.detect(t);
  return { language: e.language, score: e.language ? (e.getScores()[e.language] ?? 0) : 0 };
};

// Characters whose UTF-8 lead byte is a space in eld's dictionary, and plain ones.
const SPACEY = [...'ǎǐǒǔǚǅǈǿʃʒˈ\u0301\u0308\u0327ͻԱաֆܐހߊ\ue000'];
const PLAIN = [...'abcdeéçñ你好ж'];

test('eldDetect equals eld.detect on words holding characters eld encodes with a space', () => {
  const texts = [
    'nǐ hǎo mā má mǎ mà lǜ',
    'Hàny\u01d4 p\u012bny\u012bn zh\u00e8ng z\u00e0i xu\u00e9x\u00ed',
    'cafe\u0301 nai\u0308ve, fac\u0327ade',
    'Բարեւ աշխարհ, Հայաստան',
    'ǎ ǎǎ ǎǎǎ ǎǎǎǎ ǎǎǎǎǎ ǎbc abǎ aǎb',
    // ' abc' + the space of ǎ is the n-gram ' abc ' of the word 'abc': one n-gram, not two.
    'abcǎd abc', 'abcǎ abc', 'xabcǎ bcǎ bc', 'the fooǎbar foo',
    '\ue000\ue001 \ue000x x\ue000',
  ];
  // Words over 70 bytes with such a character where the last n-gram starts (byte 66).
  for (let k = 60; k < 72; k++) for (const ch of SPACEY) texts.push('a'.repeat(k) + ch + 'bcd efg ' + ch + 'bcd ' + 'a'.repeat(k) + ch + 'bcd');
  for (const t of texts) assert.deepEqual(eldDetect(t), want(t), JSON.stringify(t.slice(0, 60)));
});

test('eldDetect equals eld.detect on random words of such characters (property)', () => {
  const word = fc.array(fc.constantFrom(...SPACEY, ...PLAIN), { minLength: 1, maxLength: 40 }).map((cs) => cs.join(''));
  const text = fc.array(fc.tuple(word, fc.constantFrom(' ', ', ', "'", ' - ')), { maxLength: 80 }).map((ws) => ws.map(([w, s]) => w + s).join(''));
  fc.assert(
    fc.property(text, (t) => {
      assert.deepEqual(eldDetect(t), want(t));
    }),
    { numRuns: 2000 },
  );
});
