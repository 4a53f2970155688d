// The pipeline's streaming writers, on util/atomic-file.ts's TempFile: a file appears
// under its name only when complete. Gzip output is a sequence of members compressed from
// 1 MiB blocks: valid gzip for every reader, byte-identical on every run.

import { gzipSync } from 'node:zlib';
import { TempFile } from '../util/atomic-file.js';

/** gzip level used for all pipeline output (and by the benchmark's floor). */
export const GZIP_LEVEL = 4;
const BLOCK = 1 << 20;

/** Streams lines into a .gz (or plain) file under a temporary name; close() renames it. */
export class LineWriter {
  private readonly file: TempFile;
  // Lines are encoded straight into one block buffer (reused), flushed at BLOCK bytes.
  private buf = Buffer.allocUnsafe(BLOCK + (BLOCK >> 2));
  private used = 0;
  lines = 0;

  constructor(readonly path: string, private readonly gzip = path.endsWith('.gz')) {
    this.file = new TempFile(path);
  }

  /** Room for `bytes` more: flushes first, and grows the buffer for an outsized line. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    this.flush();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
  }

  /** Appends one line (a newline is added). */
  write(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(line.length * 3 + 1);
    this.used += this.buf.write(line, this.used, 'utf8');
    this.buf[this.used++] = 10;
    this.lines++;
    if (this.used >= BLOCK) this.flush();
  }

  /** Appends one line given as UTF-8 bytes (a newline is added). */
  writeBytes(line: Uint8Array): void {
    this.reserve(line.length + 1);
    this.buf.set(line, this.used);
    this.used += line.length;
    this.buf[this.used++] = 10;
    this.lines++;
    if (this.used >= BLOCK) this.flush();
  }

  private flush(): void {
    if (this.used === 0) return;
    const data = this.buf.subarray(0, this.used);
    this.file.write(this.gzip ? gzipSync(data, { level: GZIP_LEVEL }) : data);
    this.used = 0;
  }

  /** Flushes and renames to the final name. An empty .gz still gets a valid (empty) gzip member. */
  close(): void {
    if (this.gzip && this.lines === 0) this.file.write(gzipSync(Buffer.alloc(0), { level: GZIP_LEVEL }));
    this.flush();
    this.file.commit();
  }

  /** Closes and deletes the temporary file (after an error). */
  abort(): void {
    this.file.abort();
  }
}

/** Streams uint32 words into a binary file under a temporary name, through a buffer of `bufferWords`. */
export class U32Writer {
  private readonly file: TempFile;
  private readonly buf: Uint32Array;
  private used = 0;
  words = 0;

  constructor(readonly path: string, bufferWords = 1 << 16) {
    this.file = new TempFile(path);
    this.buf = new Uint32Array(bufferWords);
  }

  write(words: ArrayLike<number>): void {
    for (let i = 0; i < words.length; i++) {
      if (this.used === this.buf.length) this.flush();
      this.buf[this.used++] = words[i]!;
    }
    this.words += words.length;
  }

  private flush(): void {
    this.file.write(new Uint8Array(this.buf.buffer, 0, this.used * 4));
    this.used = 0;
  }

  close(): void {
    this.flush();
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }
}
