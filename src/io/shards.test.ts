// Tests of the token shard format: round trips at both widths, the exact header bytes,
// and clear errors for missing, truncated and foreign files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardWriter, readShard, writeShard, readShardHeader } from './shards.js';
import { InputError } from '../util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'anvil-shards-'));

test('u16 shard round trip and exact header layout', () => {
  const p = join(dir, 'a.bin');
  writeShard(p, [0, 1, 65535, 42], 65536);
  const b = readFileSync(p);
  assert.equal(b.length, 64 + 8);
  assert.equal(b.toString('latin1', 0, 8), 'ANVILTOK');
  assert.equal(b.readUInt32LE(8), 1);
  assert.equal(b.readUInt32LE(12), 2);
  assert.equal(b.readBigUInt64LE(16), 4n);
  assert.equal(b.readUInt32LE(24), 65536);
  assert.ok(b.subarray(28, 64).every((x) => x === 0));
  const r = readShard(p);
  assert.ok(r.tokens instanceof Uint16Array);
  assert.deepEqual([...r.tokens], [0, 1, 65535, 42]);
  assert.equal(r.vocabSize, 65536);
});

test('u32 shard when the vocabulary exceeds 65536; streaming writer over buffer boundary', () => {
  const p = join(dir, 'b.bin');
  const w = new ShardWriter(p, 100_000);
  const ids: number[] = [];
  for (let i = 0; i < 300_000; i++) ids.push((i * 7919) % 100_000);
  w.write(ids.slice(0, 123_457));
  assert.ok(!existsSync(p), 'final name appears only on close');
  w.write(ids.slice(123_457));
  w.close();
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')).length, 0);
  const r = readShard(p);
  assert.ok(r.tokens instanceof Uint32Array);
  assert.equal(r.tokens.length, ids.length);
  assert.equal(r.tokens[299_999], ids[299_999]);
  assert.equal(readShardHeader(p).width, 4);
});

test('rejects ids outside the vocabulary', () => {
  assert.throws(() => writeShard(join(dir, 'c.bin'), [5], 5), RangeError);
  assert.ok(!existsSync(join(dir, 'c.bin')));
});

test('missing, truncated and foreign shards throw InputError naming the file', () => {
  const missing = join(dir, 'missing.bin');
  assert.throws(() => readShard(missing), (e: unknown) => e instanceof InputError && e.message.includes(missing));
  const p = join(dir, 'd.bin');
  writeShard(p, [1, 2, 3, 4], 10);
  truncateSync(p, 64 + 5);
  assert.throws(() => readShard(p), (e: unknown) => e instanceof InputError && /truncated/.test(e.message) && e.message.includes(p));
  const q = join(dir, 'e.bin');
  writeFileSync(q, Buffer.alloc(80, 1));
  assert.throws(() => readShard(q), (e: unknown) => e instanceof InputError && /magic/.test(e.message));
  const s = join(dir, 'f.bin');
  writeFileSync(s, Buffer.alloc(10));
  assert.throws(() => readShard(s), (e: unknown) => e instanceof InputError && /truncated/.test(e.message));
});
