// Round trips: every byte string (invalid UTF-8 included) and every JS string (lone
// surrogates included) comes back exactly from its ids; special tokens only where allowed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { trainTokenizer, loadTiktokenEncoding, type Tokenizer } from '../src/tokenizer/index.js';
import { encodeBatch } from '../src/tokenizer/batch.js';
import { trainingText, compatCorpus } from './tokenizer-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'anvil-tok-rt-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let trained: Promise<Tokenizer> | undefined;
function tokenizer(): Promise<Tokenizer> {
  if (!trained) {
    writeFileSync(join(dir, 'train.txt'), trainingText().slice(0, 400_000));
    trained = trainTokenizer({ inputs: [join(dir, 'train.txt')], vocabSize: 1500, pattern: 'cjk', threads: 1 });
  }
  return trained;
}

test('random bytes round-trip exactly through encodeBytes/decodeBytes', async () => {
  for (const tok of [await tokenizer(), await loadTiktokenEncoding('gpt2')]) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        assert.deepEqual(tok.decodeBytes(tok.encodeBytes(b)), b);
      }),
      { numRuns: 1000 },
    );
  }
});

test('random Unicode strings, lone surrogates included, round-trip through encode/decode', async () => {
  const tok = await tokenizer();
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (s) => assert.equal(tok.decode(tok.encode(s)), s)), { numRuns: 1500 });
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 120 }), (s) => assert.equal(tok.decode(tok.encode(s)), s)), { numRuns: 1500 });
});

test('a long piece (heap merge path) round-trips', async () => {
  const tok = await tokenizer();
  const long = '数据'.repeat(400) + 'a'.repeat(3000);
  assert.equal(tok.decode(tok.encode(long)), long);
});

test('special tokens are matched only when allowed', async () => {
  const tok = await tokenizer();
  const text = 'end<|endoftext|>start';
  const plain = tok.encode(text);
  assert.ok(!plain.includes(tok.eotId));
  assert.equal(tok.decode(plain), text);
  const special = tok.encode(text, { allowSpecial: true });
  assert.equal(special.filter((id) => id === tok.eotId).length, 1);
  assert.equal(tok.decode(special), text);
  assert.equal(tok.tokenByteLength(tok.eotId), 0);
  assert.equal(tok.specialTokenId('<|im_end|>'), tok.vocabSize - 2);
});

test('batch encoding across threads gives the single-thread ids', async () => {
  const tok = await tokenizer();
  const texts = compatCorpus();
  const batch = await encodeBatch(tok, texts, { threads: 2 });
  assert.deepEqual(batch.map((a) => [...a]), texts.map((t) => tok.encode(t)));
});
