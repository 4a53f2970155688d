// Compatibility: a tokenizer trained by anvil, loaded from its tokenizer.json by
// @huggingface/tokenizers, gives anvil's ids; GPT-2 and cl100k rank tables imported
// into anvil give the ids of the tiktoken package.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { get_encoding } from 'tiktoken';
import { Tokenizer, trainTokenizer, loadTiktokenEncoding } from '../src/tokenizer/index.js';
import { compatCorpus, trainingText } from './tokenizer-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'anvil-tok-'));
const corpusFile = join(dir, 'train.txt');
writeFileSync(corpusFile, trainingText());
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const pattern of ['gpt2', 'gpt4', 'cjk'] as const) {
  test(`anvil-trained (${pattern}) tokenizer.json gives the same ids in @huggingface/tokenizers`, async () => {
    const tok = await trainTokenizer({ inputs: [corpusFile], vocabSize: 3000, pattern, threads: 2 });
    assert.equal(tok.vocabSize, 3000);
    const out = join(dir, pattern);
    await tok.save(out);
    const hf = new HfTokenizer(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')));
    const loaded = await Tokenizer.load(out);
    // @huggingface/tokenizers always matches added tokens, so texts holding their text are left to the next check
    for (const text of compatCorpus().filter((t) => !t.includes('<|'))) {
      const ids = tok.encode(text);
      assert.deepEqual(hf.encode(text, { add_special_tokens: false }).ids, ids, `ids differ on ${JSON.stringify(text.slice(0, 60))}`);
      assert.deepEqual(loaded.encode(text), ids);
      assert.equal(hf.decode(ids), text);
      assert.equal(tok.decode(ids), text);
    }
    // special tokens, where allowed, are single ids in both
    const withSpecial = 'Hi<|endoftext|>there<|im_end|>';
    const ids = tok.encode(withSpecial, { allowSpecial: true });
    assert.deepEqual(hf.encode(withSpecial, { add_special_tokens: false }).ids, ids);
    assert.ok(ids.includes(tok.eotId));
  });
}

for (const name of ['gpt2', 'cl100k_base'] as const) {
  test(`${name} ranks imported into anvil give tiktoken's ids`, async () => {
    const tok = await loadTiktokenEncoding(name);
    const enc = get_encoding(name);
    try {
      for (const text of compatCorpus()) {
        assert.deepEqual(tok.encode(text), [...enc.encode_ordinary(text)], `ids differ on ${JSON.stringify(text.slice(0, 60))}`);
      }
      assert.deepEqual(tok.encode('a<|endoftext|>b', { allowSpecial: true }), [...enc.encode('a<|endoftext|>b', 'all')]);
    } finally {
      enc.free();
    }
  });
}

test('GPT-2 ids decode to the text tiktoken decodes', async () => {
  const tok = await loadTiktokenEncoding('gpt2');
  const enc = get_encoding('gpt2');
  const text = compatCorpus().join('\n');
  const ids = tok.encode(text);
  assert.equal(tok.decode(ids), new TextDecoder().decode(enc.decode(Uint32Array.from(ids))));
  enc.free();
});

test('GPT-2 ranks written as tokenizer.json give tiktoken\'s ids in @huggingface/tokenizers and after reloading', async () => {
  const tok = await loadTiktokenEncoding('gpt2');
  const out = join(dir, 'gpt2');
  await tok.save(out);
  const hf = new HfTokenizer(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')));
  const loaded = await Tokenizer.load(out);
  const enc = get_encoding('gpt2');
  try {
    for (const text of compatCorpus().filter((t) => !t.includes('<|'))) {
      const want = [...enc.encode_ordinary(text)];
      assert.deepEqual(loaded.encode(text), want);
      assert.deepEqual(hf.encode(text, { add_special_tokens: false }).ids, want);
    }
    // a non-special added token (like Qwen3's <think>) is matched always, as in transformers
    const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    json.added_tokens.push({ id: 50257, content: '<think>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
    writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(json));
    const withAdded = await Tokenizer.load(out);
    const hfAdded = new HfTokenizer(json, {});
    const text = 'a <think>b</think><|endoftext|>';
    assert.deepEqual(withAdded.encode(text).filter((id) => id === 50257).length, 1);
    assert.deepEqual(hfAdded.encode(text, { add_special_tokens: false }).ids, withAdded.encode(text, { allowSpecial: true }));
    assert.equal(withAdded.decode(withAdded.encode(text)), text);
  } finally {
    enc.free();
  }
});
