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
  if (block.length < READ_ROWS * words) block = new Uint32Array(READ_ROWS * words);
  const r = new RowReader(path, words, READ_ROWS, block);
  try {
    while (r.next()) fn(r.block, r.at);
  } finally {
    r.close();
  }
}

/**
 * A file of fixed-width rows read one row at a time (pull, for merges; eachRow is a loop
 * over it): each next() makes block[at, at + words) the following row, reading
 * `blockRows` rows at a time.
 */
export class RowReader {
  readonly block: Uint32Array;
  private readonly bytes: Uint8Array;
  private readonly fd: number;
  private readonly size: number;
  private pos = 0;
  private end = 0;
  private closed = false;
  at: number;

  /** `buffer` (at least blockRows * words long), when given, is used for the block instead of a new one. */
  constructor(
    readonly path: string,
    readonly words: number,
    blockRows = READ_ROWS,
    buffer?: Uint32Array,
  ) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
    if (this.size % (words * 4) !== 0) {
      closeSync(this.fd);
      throw new InputError(`file size ${this.size} is not a multiple of ${words * 4}`, path);
    }
    this.block = buffer ?? new Uint32Array(blockRows * words);
    this.bytes = new Uint8Array(this.block.buffer, this.block.byteOffset, blockRows * words * 4);
    this.at = -words;
  }

  /** Moves to the next row; false (and the file closed) at the end. */
  next(): boolean {
    this.at += this.words;
    if (this.at < this.end) return true;
    const want = this.closed ? 0 : Math.min(this.bytes.length, this.size - this.pos);
    if (want <= 0) {
      this.close();
      return false;
    }
    let got = 0;
    while (got < want) got += readSync(this.fd, this.bytes, got, want - got, this.pos + got);
    this.pos += want;
    this.end = want / 4;
    this.at = 0;
    return true;
  }

  close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
    this.end = 0;
  }
}
