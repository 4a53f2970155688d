// Atomic files: nothing under the final name until commit; abort and failures leave no trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempFile, removeStaleTemps, writeFileAtomic } from './atomic-file.js';

test('TempFile: hidden until commit, positioned writes, abort removes it, folders created', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-atomic-'));
  try {
    const path = join(dir, 'sub', 'a.bin');
    const f = new TempFile(path);
    f.write(new Uint8Array([1, 2, 3, 4]));
    f.write(new Uint8Array([9]), 1);
    assert.equal(existsSync(path), false);
    f.commit(true);
    assert.deepEqual([...readFileSync(path)], [1, 9, 3, 4]);
    const g = new TempFile(path);
    g.write(new Uint8Array([7]));
    g.abort();
    g.abort();
    assert.deepEqual([...readFileSync(path)], [1, 9, 3, 4]);
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.bin']);
    writeFileAtomic(path, ['x', new Uint8Array([121])]);
    assert.equal(readFileSync(path, 'utf8'), 'xy');
    // A failing write leaves the old file and no temporary one.
    assert.throws(() => writeFileAtomic(path, [new Uint8Array(1), { byteLength: 1 } as Uint8Array]));
    assert.equal(readFileSync(path, 'utf8'), 'xy');
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.bin']);
    writeFileSync(join(dir, 'sub', 'a.bin.tmp-1-0-ab'), '');
    writeFileSync(join(dir, 'sub', 'b.bin.tmp-1-0-ab'), '');
    removeStaleTemps(join(dir, 'sub'), 'a.');
    assert.deepEqual(readdirSync(join(dir, 'sub')).sort(), ['a.bin', 'b.bin.tmp-1-0-ab']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
