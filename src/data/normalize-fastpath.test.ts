// The table-driven clean-text fast path (isNormalized) never lets through a text that
// normalizeTextFull would change, checked for every UTF-16 code unit, around the edges of
// its ranges, and on long texts where the GBK mojibake check stops early.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isNormalized, normalizeText, normalizeTextFull } from './normalize.js';

/** The fast path may only say yes where the full normalisation changes nothing. */
function agrees(s: string): void {
  if (isNormalized(s)) assert.equal(normalizeTextFull(s), s, JSON.stringify(s));
  assert.equal(normalizeText(s), normalizeTextFull(s), JSON.stringify(s));
}

test('every code unit, alone and between letters, spaces and newlines', () => {
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    for (const s of [ch, `a${ch}b`, `a ${ch}b`, `a${ch} b`, `a\n${ch}b`, `中${ch}文`]) {
      if (isNormalized(s) && normalizeTextFull(s) !== s) assert.fail(`U+${c.toString(16)} in ${JSON.stringify(s)}`);
    }
  }
});

test('clean text of every plain range takes the fast path', () => {
  // (Most accented Latin-1 letters are also UTF-8 lead bytes, so they take the full path.)
  const clean = [
    'Plain ASCII, with punctuation: (a) [b] {c} ~!@#$%^&*_+=|;"<>?/.',
    '¡Hola! ø ü ÿ ©®° «a» — “quoted” … •',
    '中文，标点。「引号」《书名》！？',
    'Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ',
    'one\ntwo\n\nthree',
  ];
  for (const s of clean) assert.ok(isNormalized(s), s);
});

// Code units at and beside the edges of the fast path's ranges, and whitespace.
const EDGES = [
  0x09, 0x0a, 0x0b, 0x0d, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xa1, 0xa9, 0xac, 0xad, 0xae, 0xc1, 0xc2, 0xc3,
  0xf4, 0xf5, 0xff, 0x100, 0x300, 0x301, 0x200b, 0x200f, 0x2010, 0x2027, 0x2028, 0x2029, 0x3000, 0x3029, 0x302a,
  0x4dff, 0x4e00, 0x9fff, 0xa000, 0xd83d, 0xde00, 0xf900, 0xfeff, 0xff00, 0xff01, 0xff5e, 0xff5f, 0xfffd,
];
const ALPHABET = [...EDGES.map((c) => String.fromCharCode(c)), 'a', 'Z', ' ', ' ', '\n', '\n', '\n', '\r\n', '中', '的', '\ud83d\ude00', 'e\u0301'];

test('random texts over the range edges agree with the full normalisation', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 30 }), (cs) => agrees(cs.join(''))),
    { numRuns: 5000 },
  );
  // Long runs of spaces and newlines.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('a', ' ', '\n', '中'), fc.integer({ min: 1, max: 5 })), { maxLength: 12 }), (rs) =>
      agrees(rs.map(([c, n]) => c.repeat(n)).join('')),
    ),
    { numRuns: 3000 },
  );
});

// The rule of the GBK mojibake check, as normalize.ts first wrote it (no early stop).
const FREQUENT = new Set('的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里');
function gbkSuspect(t: string): boolean {
  let han = 0;
  let frequent = 0;
  for (let i = 0; i < Math.min(t.length, 4000); i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x4e00 && c <= 0x9fff) {
      han++;
      if (FREQUENT.has(t[i]!)) frequent++;
    }
  }
  return han >= 4 && frequent < han * 0.04;
}

test('the GBK check stops early only when the answer cannot change', () => {
  // A head of rare hanzi and a tail of frequent ones (or the other way), around the
  // 4,000-unit window, with punctuation and ASCII between.
  const HANZI = [...'的一是了在人鍙戞槑鐨勬枃浠跺湪杩欓噷涓枃，。A1'];
  const part = fc.tuple(fc.array(fc.constantFrom(...HANZI), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 250 }));
  fc.assert(
    fc.property(part, part, ([head, n], [tail, m]) => {
      const s = '中' + head.join('').repeat(n) + tail.join('').repeat(m) + '文';
      assert.equal(isNormalized(s), !gbkSuspect(s));
      agrees(s);
    }),
    { numRuns: 500 },
  );
});
