// Binary row files of step 2 (dedup): fixed-width rows of uint32 words (the signature files
// of step 1, and dedup's own partition files, both written with write.ts's U32Writer), read
// back in blocks: a fixed amount of memory, whatever the size of the file.

import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { InputError } from '../util/errors.js';

/** Rows read per block. */
const READ_ROWS = 4096;

// One block buffer for every file and pass (a pass reads every file again); it only grows.
let block = new Uint32Array(0);

/** Calls fn(block, at) for every row of a file (the row is block[at, at + words)), reading in blocks. */
export function eachRow(path: string, words: number, fn: (block: Uint32Array, at: number) => void): void {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const rowBytes = words * 4;
    if (size % rowBytes !== 0) throw new InputError(`file size ${size} is not a multiple of ${rowBytes}`, path);
    if (block.length < READ_ROWS * words) block = new Uint32Array(READ_ROWS * words);
    const buf = block;
    const bytes = new Uint8Array(buf.buffer, 0, READ_ROWS * rowBytes);
    for (let pos = 0; pos < size; ) {
      const want = Math.min(bytes.length, size - pos);
      let got = 0;
      while (got < want) got += readSync(fd, bytes, got, want - got, pos + got);
      const rows = want / rowBytes;
      for (let r = 0; r < rows; r++) fn(buf, r * words);
      pos += want;
    }
  } finally {
    closeSync(fd);
  }
}
