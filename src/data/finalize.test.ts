// Step 3 reads a unit's removal rows as its candidates go by (both in record order): the
// removed candidates go to rejected/ with the id of their cluster's kept document, the
// others to docs/ unchanged; removal rows that name no candidate are an error that names
// the file, and leave no output behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalizeUnit } from './finalize.js';
import { layout } from './layout.js';
import { docId } from './doc.js';
import { REMOVED_EXACT, REMOVED_NEAR } from './dedup.js';
import { InputError } from '../util/errors.js';

/** A unit folder with candidates at the given records and the given removal rows. */
function fixture(records: number[], removals: number[][]): string {
  const out = mkdtempSync(join(tmpdir(), 'anvil-final-'));
  mkdirSync(layout.work(out), { recursive: true });
  const lines = records.map((r) => JSON.stringify({ id: docId(3, r), text: `text ${r}`, source: 'a.txt', license: 'CC0-1.0', lang: 'en' }));
  writeFileSync(layout.candidates(out, 3), lines.map((l) => l + '\n').join(''));
  if (removals.length > 0) writeFileSync(layout.removed(out, 3), new Uint8Array(Uint32Array.from(removals.flat()).buffer));
  return out;
}

const lines = (path: string) => gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

test('removed candidates go to rejected with their kept document, in order; the rest are kept', async () => {
  const records = [0, 2, 3, 7, 8, 20, 21];
  const out = fixture(records, [
    [2, REMOVED_EXACT, 1, 5],
    [8, REMOVED_NEAR, 3, 3],
    [21, REMOVED_EXACT, 3, 0],
  ]);
  try {
    const marker = await finalizeUnit({ out, unit: 3, exampleIds: [] }, records.length);
    assert.equal(marker.kept, 4);
    assert.deepEqual(lines(layout.docs(out, 3)).map((d) => d.id), [0, 3, 7, 20].map((r) => docId(3, r)));
    assert.deepEqual(
      lines(layout.rejectedDedup(out, 3)).map((d) => [d.id, d.reason, d.duplicateOf]),
      [
        [docId(3, 2), 'exact_duplicate', docId(1, 5)],
        [docId(3, 8), 'near_duplicate', docId(3, 3)],
        [docId(3, 21), 'exact_duplicate', docId(3, 0)],
      ],
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('removal rows naming no candidate, or cut short: an error naming the file, no output', async () => {
  for (const rows of [[[5, REMOVED_EXACT, 0, 0]], [[2, REMOVED_EXACT, 0, 0], [99, REMOVED_NEAR, 0, 1]]]) {
    const out = fixture([0, 2, 3], rows);
    try {
      await assert.rejects(finalizeUnit({ out, unit: 3, exampleIds: [] }, 3), (e: Error) => e instanceof InputError && e.message.includes(layout.removed(out, 3)) && /name no candidate/.test(e.message));
      assert.equal(existsSync(layout.docs(out, 3)), false);
      assert.equal(existsSync(layout.finalMarker(out, 3)), false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const out = fixture([0, 2, 3], []);
  try {
    writeFileSync(layout.removed(out, 3), new Uint8Array(20));
    await assert.rejects(finalizeUnit({ out, unit: 3, exampleIds: [] }, 3), /not whole removal rows/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
