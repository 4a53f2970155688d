// `anvil data tokenize`: prepared documents -> token shards. The shards decode back to
// the documents in order (split by the end-of-text id), validation gets every 1/F-th
// document, meta.json counts tokens, UTF-8 bytes and documents, and the tokenizer is
// copied beside the shards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { anvil } from './helpers/cli.js';
import { trainTokenizer, Tokenizer } from '../src/tokenizer/index.js';
import { readShard } from '../src/io/shards.js';
import { Rng, enDoc, zhDoc } from '../src/data/synth.js';
import type { TokensMeta } from '../src/data/tokenize.js';

test('tokenize writes train/val shards that decode back to the documents', async () => {
  const root = mkdtempSync(join(tmpdir(), 'anvil-data-tok-'));
  const r = new Rng(5);
  const texts = Array.from({ length: 60 }, (_, i) => (i % 4 === 3 ? zhDoc(r, 1) : enDoc(r, 2)));
  const corpus = join(root, 'corpus.txt');
  writeFileSync(corpus, texts.join('\n'));
  const tok = await trainTokenizer({ inputs: [corpus], vocabSize: 400, threads: 1 });
  const tdir = join(root, 'tok');
  await tok.save(tdir);
  const docs = join(root, 'out', 'docs');
  mkdirSync(docs, { recursive: true });
  const line = (t: string, i: number) => JSON.stringify({ id: `00000-${String(i).padStart(8, '0')}`, text: t, source: 's', license: 'CC0-1.0', lang: 'en' });
  writeFileSync(join(docs, '00000.jsonl.gz'), gzipSync(texts.slice(0, 35).map(line).join('\n') + '\n'));
  writeFileSync(join(docs, '00001.jsonl.gz'), gzipSync(texts.slice(35).map(line).join('\n') + '\n'));

  const out = join(root, 'tokens');
  const res = anvil(['data', 'tokenize', '--tokenizer', tdir, '--input', docs, '--out', out, '--val-fraction', '0.1', '--shard-tokens', '2000', '--json']);
  assert.equal(res.code, 0, res.stderr);
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as TokensMeta;
  assert.deepEqual(JSON.parse(res.stdout).splits, meta.splits);
  assert.equal(meta.format, 'anvil-tokens');
  const t = await Tokenizer.load(join(out, 'tokenizer'));
  assert.equal(meta.vocabSize, t.vocabSize);
  assert.equal(meta.eotId, t.eotId);
  assert.equal(meta.splits.val.documents, 6);
  assert.equal(meta.splits.train.documents, 54);
  assert.ok(meta.splits.train.shards.length > 1, 'rolls over to new shards');

  const decodeSplit = (name: 'train' | 'val') => {
    const docsOut: string[] = [];
    let cur: number[] = [];
    let tokens = 0;
    for (const f of meta.splits[name].shards) {
      const { tokens: ids, vocabSize } = readShard(join(out, f));
      assert.equal(vocabSize, t.vocabSize);
      tokens += ids.length;
      for (const id of ids) {
        if (id === t.eotId) {
          docsOut.push(t.decode(cur));
          cur = [];
        } else cur.push(id);
      }
    }
    assert.equal(cur.length, 0, 'every document ends with the end-of-text id');
    assert.equal(tokens, meta.splits[name].tokens);
    return docsOut;
  };
  const train = decodeSplit('train');
  const val = decodeSplit('val');
  const isVal = (i: number) => Math.round((i + 1) * 0.1) > Math.round(i * 0.1);
  assert.deepEqual(val, texts.filter((_, i) => isVal(i)));
  assert.deepEqual(train, texts.filter((_, i) => !isVal(i)));
  assert.equal(meta.splits.val.bytes, val.reduce((s, x) => s + Buffer.byteLength(x), 0));
  assert.ok(existsSync(join(out, 'tokenizer', 'tokenizer.json')));
});
