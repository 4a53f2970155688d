// forEachLineSync: every line back, whatever its length against the 1 MiB read block.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachLineSync } from './bytes.js';

test('forEachLineSync returns every line: empty ones, lines longer than the block, no final newline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-lines-'));
  try {
    const MiB = 1 << 20;
    const cases: string[][] = [
      [],
      [''],
      ['a', '', 'b'],
      ['x'.repeat(MiB - 1), 'y'.repeat(MiB), 'z'.repeat(MiB + 1), 'short'],
      ['é'.repeat(MiB), '中'.repeat(5), 'w'.repeat(3 * MiB + 7)],
    ];
    for (const [i, lines] of cases.entries()) {
      for (const finalNewline of [true, false]) {
        const path = join(dir, `${i}-${finalNewline}.txt`);
        writeFileSync(path, lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : ''));
        const got: string[] = [];
        forEachLineSync(path, (line) => got.push(line.toString('utf8')));
        // A file that ends in a newline has no empty last line after it.
        const want = lines.length === 1 && lines[0] === '' && !finalNewline ? [] : lines;
        assert.deepEqual(got.map((l) => l.length), want.map((l) => l.length), `case ${i}, final newline ${finalNewline}`);
        assert.deepEqual(got, want);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
