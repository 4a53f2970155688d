// Binary row files of step 2 (dedup): fixed-width rows of uint32 words, read back in
// blocks (the signature files of step 1, and dedup's own partition files) and written
// through a small buffer (partition files). Both keep a fixed amount of memory, whatever
// the size of the file.

import { openSync, readSync, writeSync, closeSync, fstatSync } from 'node:fs';
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

/**
 * Appends rows of `words` uint32 to a file through a buffer of `bufferRows` rows. The file
 * is created (or truncated, if a killed run left one) at the first flush, so a writer that
 * never gets a row creates no file.
 */
export class RowWriter {
  private readonly buf: Uint32Array;
  private used = 0;
  private fd = -1;
  /** Rows written so far. */
  rows = 0;

  constructor(readonly path: string, readonly words: number, bufferRows: number) {
    this.buf = new Uint32Array(words * bufferRows);
  }

  /** Room for one more row at `at` in `buffer()`; flushes first if full. */
  next(): number {
    if (this.used === this.buf.length) this.flush();
    const at = this.used;
    this.used += this.words;
    this.rows++;
    return at;
  }

  /** The buffer that next() indexes into. */
  get buffer(): Uint32Array {
    return this.buf;
  }

  private flush(): void {
    if (this.used === 0) return;
    if (this.fd < 0) this.fd = openSync(this.path, 'w');
    const bytes = new Uint8Array(this.buf.buffer, 0, this.used * 4);
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.used = 0;
  }

  /** Writes what is buffered and closes the file. */
  close(): void {
    this.flush();
    this.abort();
  }

  /** Closes the file without writing what is buffered (after an error); safe to call twice. */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
