// Tests for training windows: targets are inputs shifted by one, sequential order,
// exact resume from a saved position, and clear errors for missing or truncated shards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, truncateSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeShard } from '../io/shards.js';
import { evalWindows, readTokenMeta, SplitTokens, WindowStream } from './data.js';
import { InputError } from '../util/errors.js';

function tokdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-data-'));
  writeShard(join(dir, 'train_000000.bin'), Array.from({ length: 100 }, (_, i) => i % 50), 50);
  writeShard(join(dir, 'train_000001.bin'), Array.from({ length: 40 }, (_, i) => 49 - (i % 50)), 50);
  writeShard(join(dir, 'val_000000.bin'), Array.from({ length: 30 }, (_, i) => i), 50);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({
    format: 'anvil-tokens', version: 1, vocabSize: 50, eotId: 0,
    splits: { train: { shards: ['train_000000.bin', 'train_000001.bin'], tokens: 140, bytes: 500 }, val: { shards: ['val_000000.bin'], tokens: 30, bytes: 90 } },
  }));
  return dir;
}

test('sequential windows walk the shards in order; targets are shifted inputs', () => {
  const dir = tokdir();
  const meta = readTokenMeta(dir);
  const split = new SplitTokens(dir, meta.splits.train, meta.vocabSize, 8);
  const s = new WindowStream(split, { mode: 'sequential', seed: 1 });
  const b = s.next(2);
  assert.deepEqual([...b.inputs], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual([...b.targets.slice(0, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  for (let i = 0; i < 5; i++) s.next(2);
  // 12 windows of 8 used 96 tokens of shard 0; the next does not fit, so shard 1 starts.
  const c = s.next(1);
  assert.deepEqual([...c.inputs], [49, 48, 47, 46, 45, 44, 43, 42]);
});

test('random windows resume exactly from a saved position', () => {
  const dir = tokdir();
  const meta = readTokenMeta(dir);
  const split = new SplitTokens(dir, meta.splits.train, meta.vocabSize, 8);
  const a = new WindowStream(split, { mode: 'random', seed: 3 });
  a.next(4);
  const pos = JSON.parse(JSON.stringify(a.position));
  const next = a.next(4);
  const b = new WindowStream(split, { mode: 'random', seed: 999, position: pos });
  assert.deepEqual(b.next(4), next);
  for (let i = 0; i < 4; i++) {
    const w = [...next.inputs.slice(i * 8, i * 8 + 8)];
    for (let t = 1; t < 8; t++) assert.ok(w[t] === (w[t - 1]! + 1) % 50 || w[t] === w[t - 1]! - 1 || (w[t - 1] === 0 && w[t] === 49));
  }
});

test('evaluation windows are non-overlapping and bounded', () => {
  const dir = tokdir();
  const meta = readTokenMeta(dir);
  const val = new SplitTokens(dir, meta.splits.val!, meta.vocabSize, 8);
  assert.deepEqual(evalWindows(val).map((w) => w.start), [0, 8, 16]);
  assert.equal(evalWindows(val, 2).length, 2);
});

test('missing and truncated shards, bad meta and too-short data are InputErrors naming the file', () => {
  const dir = tokdir();
  const meta = readTokenMeta(dir);
  truncateSync(join(dir, 'train_000001.bin'), statSync(join(dir, 'train_000001.bin')).size - 2);
  assert.throws(() => new SplitTokens(dir, meta.splits.train, 50, 8), (e: unknown) => e instanceof InputError && /truncated/.test(e.message) && e.message.includes('train_000001.bin'));
  rmSync(join(dir, 'train_000001.bin'));
  assert.throws(() => new SplitTokens(dir, meta.splits.train, 50, 8), (e: unknown) => e instanceof InputError && e.message.includes('train_000001.bin'));
  assert.throws(() => new SplitTokens(dir, meta.splits.val!, 50, 64), /full window/);
  assert.throws(() => new SplitTokens(dir, meta.splits.val!, 40, 8), /vocabulary/);
  writeFileSync(join(dir, 'meta.json'), '{"format":"x"}');
  assert.throws(() => readTokenMeta(dir), /format/);
  assert.throws(() => readTokenMeta(join(dir, 'nope')), /meta.json is missing/);
});
