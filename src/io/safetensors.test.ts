// Tests for the safetensors reader/writer: round trips in f32/f16/bf16, sharded folders,
// bytes as the format specifies them, and rejection of corrupt or hostile headers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  floatToBf16, floatToHalf, halfToFloat, readSafetensors, readSafetensorsFolder, writeSafetensors, writeSafetensorsFolder,
  type NamedTensor,
} from './safetensors.js';
import { InputError } from '../util/errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'anvil-st-'));

function sample(): Map<string, NamedTensor> {
  const a = new Float32Array(6).map((_, i) => i * 0.5 - 1);
  const b = new Float32Array([1, -2, 3.25, 65504]);
  return new Map([
    ['a.weight', { shape: [2, 3], data: a }],
    ['b', { shape: [4], data: b, dtype: 'F16' as const }],
    ['c', { shape: [2, 2], data: new Float32Array([1.5, -0.25, 1e-3, 3e38]), dtype: 'BF16' as const }],
  ]);
}

test('round trip preserves names, shapes and values (f16/bf16 exact where representable)', () => {
  const dir = tmp();
  const file = join(dir, 'x.safetensors');
  writeSafetensors(file, sample(), { format: 'pt' });
  const { tensors, metadata } = readSafetensors(file);
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual([...tensors.keys()], ['a.weight', 'b', 'c']);
  assert.deepEqual(tensors.get('a.weight')!.shape, [2, 3]);
  assert.deepEqual([...tensors.get('a.weight')!.data], [-1, -0.5, 0, 0.5, 1, 1.5]);
  assert.deepEqual([...tensors.get('b')!.data], [1, -2, 3.25, 65504]);
  const c = tensors.get('c')!.data;
  assert.equal(c[0], 1.5);
  assert.equal(c[1], -0.25);
  assert.ok(Math.abs(c[2]! - 1e-3) / 1e-3 < 1 / 128);
});

test('bytes follow the spec: u64 header length, JSON header padded to 8, data offsets', () => {
  const dir = tmp();
  const file = join(dir, 'x.safetensors');
  writeSafetensors(file, new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]));
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  assert.deepEqual(header.w, { dtype: 'F32', shape: [2], data_offsets: [0, 8] });
  assert.equal(buf.readFloatLE(8 + n), 1);
  assert.equal(buf.readFloatLE(8 + n + 4), 2);
});

test('half and bfloat16 conversions match known bit patterns', () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(-2), 0xc000);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(1e6), 0x7c00);
  assert.equal(floatToHalf(2 ** -24), 0x0001);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(floatToHalf(1 / 3), 0x3555);
  assert.equal(floatToBf16(1), 0x3f80);
  assert.equal(floatToBf16(-2), 0xc000);
  // 1 + 2^-8 is halfway between two bf16 values: ties go to even (1.0).
  assert.equal(floatToBf16(1 + 2 ** -8), 0x3f80);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
});

test('sharded folder: index.json maps every tensor to its shard and reads back', () => {
  const dir = tmp();
  const files = writeSafetensorsFolder(dir, sample(), { maxShardBytes: 24 });
  assert.ok(files.includes('model.safetensors.index.json'));
  assert.ok(files.length >= 3);
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
  assert.equal(index.weight_map['a.weight'], 'model-00001-of-00002.safetensors');
  const back = readSafetensorsFolder(dir);
  assert.deepEqual([...back.get('b')!.data], [1, -2, 3.25, 65504]);
  assert.equal(back.size, 3);
  const single = tmp();
  assert.deepEqual(writeSafetensorsFolder(single, sample()), ['model.safetensors']);
  assert.equal(readSafetensorsFolder(single).size, 3);
  assert.ok(!readdirSync(single).some((f) => f.includes('.tmp')));
});

function withHeader(header: unknown, dataBytes: number, claimLength?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(claimLength ?? BigInt(json.length));
  const file = join(tmp(), 'bad.safetensors');
  writeFileSync(file, Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]));
  return file;
}

function rejects(file: string, pattern: RegExp): void {
  assert.throws(() => readSafetensors(file), (e: unknown) => e instanceof InputError && pattern.test(e.message) && e.message.includes(file));
}

test('corrupt headers give an InputError naming the file, never an allocation', () => {
  rejects(withHeader({}, 0, 2n ** 60n), /header/);
  rejects(withHeader({}, 0, 1000n), /truncated/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [1e9, 1e9, 1e9], data_offsets: [0, 4] } }, 4), /absurd|span/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [1024, 1024, 1024], data_offsets: [0, 4 * 1024 ** 3] } }, 16), /truncated|ends at/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 8), /span/);
  rejects(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlap/);
  rejects(withHeader({ w: { dtype: 'Q4', shape: [2], data_offsets: [0, 1] } }, 1), /dtype/);
  rejects(withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape/);
  const notJson = join(tmp(), 'nj.safetensors');
  const p = Buffer.alloc(8);
  p.writeBigUInt64LE(4n);
  writeFileSync(notJson, Buffer.concat([p, Buffer.from('{{{{')]));
  rejects(notJson, /corrupt/);
  const tiny = join(tmp(), 'tiny.safetensors');
  writeFileSync(tiny, Buffer.alloc(3));
  rejects(tiny, /8-byte/);
});

test('a truncated real file is rejected', () => {
  const file = join(tmp(), 'x.safetensors');
  writeSafetensors(file, sample());
  truncateSync(file, statSync(file).size - 3);
  rejects(file, /truncated|ends at/);
  rejects(join(tmp(), 'missing.safetensors'), /cannot open/);
});
