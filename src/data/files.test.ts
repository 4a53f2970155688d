// Input expansion: folders are walked through symbolic links (a folder of links to data
// files is common), real folders first, without looping on a link back to a folder above;
// each file is listed once; a broken link named like a data file is an error naming it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputs } from './files.js';
import { UsageError } from '../util/errors.js';

test('folders of links: linked files and folders are read once, under their real path when there is one; loops are not followed', () => {
  const root = mkdtempSync(join(tmpdir(), 'anvil-files-'));
  try {
    const data = join(root, 'data');
    mkdirSync(join(data, 'sub'), { recursive: true });
    writeFileSync(join(data, 'a.jsonl'), '{"text":"a"}\n');
    writeFileSync(join(data, 'sub', 'b.txt'), 'b\n');
    writeFileSync(join(data, 'notes.bin'), 'x');
    const links = join(root, 'links');
    mkdirSync(links);
    symlinkSync(join(data, 'a.jsonl'), join(links, '2-a.jsonl'));
    symlinkSync(join(data, 'a.jsonl'), join(links, '1-again.jsonl'));
    symlinkSync(join(data, 'sub'), join(links, '3-sub'));
    symlinkSync(join(data, 'notes.bin'), join(links, '4-notes.bin'));
    symlinkSync(links, join(links, '5-loop'));
    symlinkSync('user@host.123:456', join(links, '.#lock')); // an editor's lock link: not data
    // The same file through two links is read once (the first path found).
    assert.deepEqual(expandInputs([links]), [join(links, '1-again.jsonl'), join(links, '3-sub', 'b.txt')]);
    assert.deepEqual(expandInputs([join(links, '*.jsonl')]), [join(links, '1-again.jsonl')]);
    // A folder given twice, or reached both directly and through a link: its real path, once.
    symlinkSync(join(data, 'sub'), join(data, '0-link-to-sub'));
    assert.deepEqual(expandInputs([data, join(root, '.', 'data')]), [join(data, 'a.jsonl'), join(data, 'sub', 'b.txt')]);
    assert.deepEqual(expandInputs([join(data, 's*', '*.txt')]), [join(data, 'sub', 'b.txt')]);
    // A broken link named like data: refused, naming it; a glob that does not select it is not.
    symlinkSync(join(root, 'missing.jsonl'), join(links, '6-broken.jsonl'));
    assert.throws(() => expandInputs([links]), (e: Error) => e instanceof UsageError && e.message.includes(join(links, '6-broken.jsonl')) && e.message.includes('ENOENT'));
    assert.deepEqual(expandInputs([join(links, '1-*.jsonl')]), [join(links, '1-again.jsonl')]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
