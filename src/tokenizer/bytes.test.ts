// The UTF-8 codec carries lone surrogates, and decodes invalid bytes as TextDecoder does.

import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeUtf8, encodeUtf8, byteLevelToBytes, bytesToByteLevel, BYTE_TO_CHAR } from './bytes.js';

test('byte-level mapping is GPT-2\'s: printable bytes are themselves, space is Ġ', () => {
  assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
  assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ');
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(byteLevelToBytes(bytesToByteLevel(all)), all);
  assert.equal(byteLevelToBytes('a\u4e00'), undefined);
});

test('encodeUtf8 agrees with TextEncoder on well-formed strings', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (s) => assert.deepEqual(encodeUtf8(s), new TextEncoder().encode(s))));
});

test('decodeUtf8(encodeUtf8(s)) === s for any string, lone surrogates included', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => assert.equal(decodeUtf8(encodeUtf8(s)), s)), { numRuns: 2000 });
});

test('decodeUtf8 replaces invalid bytes like TextDecoder (except encoded surrogates)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), (b) => {
      const hasSurrogate = /\xed[\xa0-\xbf]/.test(Buffer.from(b).toString('latin1'));
      fc.pre(!hasSurrogate);
      assert.equal(decodeUtf8(b), new TextDecoder().decode(b));
    }),
    { numRuns: 3000 },
  );
});
