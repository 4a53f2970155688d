// Normalisation: mojibake from Windows-1252, Latin-1 and GBK misreadings is repaired,
// clean text (accents, CJK punctuation) is left alone, controls and spaces are tidied.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fixMojibake, isNormalized, normalizeText, normalizeTextFull } from './normalize.js';
import { mojibake } from './synth.js';

const SAMPLES = ['The café “Zoë” served crème brûlée — naïve but délicieux…', 'Grüße aus Köln, señor Muñoz: 25 €.', '中文数据处理，很重要！今天天气不错。', '日本語のテキストです。'];

test('UTF-8 read as Windows-1252 or Latin-1 is repaired', () => {
  for (const s of SAMPLES) {
    assert.equal(fixMojibake(mojibake(s, 'windows-1252')), s);
    if (!/[€…“”—]/.test(s)) assert.equal(fixMojibake(mojibake(s, 'latin1')), s);
  }
});

test('double-encoded mojibake is repaired', () => {
  const s = 'naïve café';
  assert.equal(fixMojibake(mojibake(mojibake(s, 'windows-1252'), 'windows-1252')), s);
});

test('UTF-8 read as GBK is repaired', () => {
  const s = '中文数据处理重要';
  const bad = mojibake(s, 'gbk');
  assert.notEqual(bad, s);
  assert.equal(fixMojibake(bad), s);
});

test('clean text is unchanged, including Latin-1 words and CJK punctuation', () => {
  for (const s of [...SAMPLES, 'Ã la carte is not mojibake when followed by space: Ã ', '全角标点：，。！？《》「」保持不变。']) {
    assert.equal(fixMojibake(s), s);
  }
});

test('normalizeText: NFC, no NFKC damage, controls removed, whitespace tidied', () => {
  assert.equal(normalizeText('e\u0301te\u0301'), 'été');
  assert.equal(normalizeText('你好，世界！'), '你好，世界！');
  assert.equal(normalizeText('a\u0000b\u200bc\ufeff d\r\n\r\n\r\n\r\ne\u00a0\u00a0f  '), 'abc d\n\ne f');
  assert.equal(normalizeText('中文\u3000排版'), '中文\u3000排版');
});

test('the clean-text fast path agrees with the full normalisation', () => {
  // Characters around every rule the fast path must respect: spaces and newlines, controls,
  // NBSP and other spaces, mojibake leads, combining marks, CJK, full-width, surrogates.
  const alphabet = ['a', 'B', ' ', ' ', '\n', '\n', '\t', '\r', '\u00a0', '\u00ad', '\u00e9', '\u00c3', '\u00a9', '\u0301', '\u2013', '\u2026', '\u2028', '\u200b', '\u3000', '\u3001', '\u302a', '中', '文', '的', '\uff0c', '\uff01', '\ufeff', '\u2126', '\uf900', '\ud83d\ude00', '\u0007', '\u007f', '\u0085', '.'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }), (chars) => {
      const s = chars.join('');
      if (isNormalized(s)) assert.equal(normalizeTextFull(s), s);
      assert.equal(normalizeText(s), normalizeTextFull(s));
    }),
    { numRuns: 3000 },
  );
  // Clean prose takes the fast path.
  for (const s of ['Plain English text.\n\nA second paragraph — with “quotes”…', '中文数据处理，很重要！今天天气不错。']) assert.ok(isNormalized(s), s);
});
