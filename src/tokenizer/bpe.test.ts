// The heap path of BPE (long pieces) must merge exactly as the scan path (short pieces).

import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bpeEncode } from './bpe.js';
import { MergeTable } from './merges.js';

// a small merge table over the bytes a, b, c: ids 0..2 are the bytes, 3.. the merges
function table(): { merges: MergeTable; byteIds: Int32Array } {
  const byteIds = new Int32Array(256).fill(-1);
  byteIds[97] = 0;
  byteIds[98] = 1;
  byteIds[99] = 2;
  const merges = new MergeTable();
  const list: Array<[number, number]> = [[0, 1], [3, 2], [0, 0], [5, 5], [1, 1], [2, 0], [4, 3], [8, 8], [6, 0], [1, 2]];
  list.forEach(([a, b], rank) => merges.add(a, b, rank, 3 + rank));
  return { merges, byteIds };
}

test('heap-path BPE equals scan-path BPE on random words', () => {
  const { merges, byteIds } = table();
  fc.assert(
    fc.property(fc.array(fc.constantFrom(97, 98, 99), { minLength: 1, maxLength: 80 }), (word) => {
      const bytes = Uint8Array.from(word);
      const scan: number[] = [];
      const heap: number[] = [];
      bpeEncode(bytes, bytes.length, byteIds, merges, scan, Infinity);
      bpeEncode(bytes, bytes.length, byteIds, merges, heap, 2);
      assert.deepEqual(heap, scan);
    }),
    { numRuns: 3000 },
  );
});

test('BPE merges the lowest rank first, leftmost on ties', () => {
  const { merges, byteIds } = table();
  const out: number[] = [];
  bpeEncode(Uint8Array.from([97, 97, 97]), 3, byteIds, merges, out, Infinity);
  assert.deepEqual(out, [5, 0]); // (a a) a
  const out2: number[] = [];
  bpeEncode(Uint8Array.from([97, 98, 99]), 3, byteIds, merges, out2, Infinity);
  assert.deepEqual(out2, [4]); // (ab) then (ab c)
});
