// Normalisation: mojibake from Windows-1252, Latin-1 and GBK misreadings is repaired,
// clean text (accents, CJK punctuation) is left alone, controls and spaces are tidied.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixMojibake, normalizeText } from './normalize.js';
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
