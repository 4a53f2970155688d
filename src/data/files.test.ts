// Input expansion: folders are walked in name order, through symbolic links (a folder of
// links to data files is common), without looping on a link back to a folder above; a
// broken link is an error that names it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputs } from './files.js';
import { UsageError } from '../util/errors.js';

test('folders of links: linked files and folders are read, loops are not followed, order is by name', () => {
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
    assert.deepEqual(expandInputs([links]), [join(links, '1-again.jsonl'), join(links, '2-a.jsonl'), join(links, '3-sub', 'b.txt')]);
    assert.deepEqual(expandInputs([join(links, '*.jsonl')]), [join(links, '1-again.jsonl'), join(links, '2-a.jsonl')]);
    symlinkSync(join(root, 'missing.jsonl'), join(links, '6-broken.jsonl'));
    assert.throws(() => expandInputs([links]), (e: Error) => e instanceof UsageError && e.message.includes(join(links, '6-broken.jsonl')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
