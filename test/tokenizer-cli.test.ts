// `anvil tokenizer` end to end: the contract scripts rely on (train writes both files,
// encode --json prints {"ids": [...]}, decode --ids prints the text) and clear errors
// for an empty corpus, a too-small vocabulary and a malformed tokenizer.json.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { anvil } from './helpers/cli.js';
import { trainingText } from './tokenizer-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'anvil-tok-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const text = trainingText().slice(0, 300_000);

test('train, encode --json, decode --ids, stats', () => {
  writeFileSync(join(dir, 'a.txt'), text.slice(0, 150_000));
  // a folder made by `anvil data prepare`: docs/*.jsonl.gz with a text field
  mkdirSync(join(dir, 'prepared', 'docs'), { recursive: true });
  const lines = text.slice(150_000).split('\n\n').map((t, i) => JSON.stringify({ id: String(i), text: t }));
  writeFileSync(join(dir, 'prepared', 'docs', '00000.jsonl.gz'), gzipSync(lines.join('\n') + '\n'));
  const out = join(dir, 'tok');
  const t = anvil(['tokenizer', 'train', '--input', join(dir, 'a.txt'), join(dir, 'prepared'), '--vocab-size', '800', '--out', out, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const res = JSON.parse(t.stdout);
  assert.equal(res.vocabSize, 800);
  assert.ok(existsSync(join(out, 'tokenizer.json')) && existsSync(join(out, 'tokenizer_config.json')));

  const sample = 'Hello, 世界! 😀  x';
  const e = anvil(['tokenizer', 'encode', '--tokenizer', out, '--text', sample, '--json']);
  assert.equal(e.code, 0, e.stderr);
  const { ids } = JSON.parse(e.stdout);
  assert.ok(Array.isArray(ids) && ids.every((x: unknown) => Number.isInteger(x)));
  const d = anvil(['tokenizer', 'decode', '--tokenizer', out, '--ids', ids.join(',')]);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout, sample + '\n');

  // invalid UTF-8 from a file round-trips through --input
  writeFileSync(join(dir, 'bad.bin'), Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xe4, 0xb8, 0xad]));
  const eb = anvil(['tokenizer', 'encode', '--tokenizer', out, '--input', join(dir, 'bad.bin'), '--json']);
  assert.equal(eb.code, 0, eb.stderr);
  assert.equal(JSON.parse(eb.stdout).ids.length >= 4, true);

  const s = anvil(['tokenizer', 'stats', '--tokenizer', out, '--input', join(dir, 'a.txt'), '--json']);
  assert.equal(s.code, 0, s.stderr);
  const st = JSON.parse(s.stdout);
  assert.ok(st.languages.all.bytesPerToken > 1 && st.languages.all.charsPerToken > 1);
});

test('an empty corpus is a clear error', () => {
  writeFileSync(join(dir, 'empty.txt'), '');
  const r = anvil(['tokenizer', 'train', '--input', join(dir, 'empty.txt'), '--vocab-size', '1000', '--out', join(dir, 'x')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /corpus is empty/);
});

test('a JSONL record without a text field names the file and line', () => {
  writeFileSync(join(dir, 'bad.jsonl'), '{"text": "fine"}\n{"body": "no text"}\n');
  const r = anvil(['tokenizer', 'train', '--input', join(dir, 'bad.jsonl'), '--vocab-size', '300', '--out', join(dir, 'z')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.jsonl:2: record has no string field "text"/);
});

test('a vocabulary smaller than 256 + the special tokens is a usage error', () => {
  writeFileSync(join(dir, 'b.txt'), 'hello world\n');
  const r = anvil(['tokenizer', 'train', '--input', join(dir, 'b.txt'), '--vocab-size', '259', '--out', join(dir, 'y')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /vocabulary size 259 is too small: it must be at least 260 \(256 bytes \+ 4 special tokens\)/);
});

test('a malformed tokenizer.json names the file and the problem', () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'tokenizer.json'), '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}, "pre_tokenizer": {"type": "ByteLevel"}}');
  const r = anvil(['tokenizer', 'encode', '--tokenizer', bad, '--text', 'a']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /tokenizer\.json: field "model\.merges\[0\]" \("a b"\) names a token that is not in the vocabulary/);
  writeFileSync(join(bad, 'tokenizer.json'), '{"model": ');
  const r2 = anvil(['tokenizer', 'encode', '--tokenizer', bad, '--text', 'a']);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /tokenizer\.json: not valid JSON/);
  writeFileSync(join(bad, 'tokenizer.json'), '{"model": {"type": "WordPiece", "vocab": {}}}');
  const r3 = anvil(['tokenizer', 'encode', '--tokenizer', bad, '--text', 'a']);
  assert.match(r3.stderr, /"model\.type" is "WordPiece"; only byte-level "BPE" is supported/);
});

test('help has an example; a bad subcommand exits 2', () => {
  const h = anvil(['tokenizer', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Example/);
  assert.equal(anvil(['tokenizer', 'frob']).code, 2);
});

test('import converts a .tiktoken rank table into tokenizer.json', () => {
  // GPT-2's ranks from the tiktoken package, written as "base64 rank" lines
  const enc = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('tiktoken/encoders/gpt2.json'), 'utf8'));
  const lines = (enc.bpe_ranks as string).split(' ').slice(2).map((b64, rank) => `${b64} ${rank}`);
  writeFileSync(join(dir, 'gpt2.tiktoken'), lines.join('\n') + '\n');
  const out = join(dir, 'gpt2-imported');
  const r = anvil(['tokenizer', 'import', '--ranks', join(dir, 'gpt2.tiktoken'), '--pattern', 'gpt2', '--special', '<|endoftext|>=50256', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const e = anvil(['tokenizer', 'encode', '--tokenizer', out, '--text', 'Hello world', '--json']);
  assert.deepEqual(JSON.parse(e.stdout).ids, [15496, 995]);
  writeFileSync(join(dir, 'broken.tiktoken'), 'QQ== 0\nnot-a-rank\n');
  const b = anvil(['tokenizer', 'import', '--ranks', join(dir, 'broken.tiktoken'), '--pattern', 'gpt2', '--out', out]);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /broken\.tiktoken:2: expected "base64 rank"/);
});
