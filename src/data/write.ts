// Output files that appear only when complete: data goes to `<name>.tmp-<pid>` and is
// renamed at the end, so a kill at any moment leaves either the old state or the new
// file, never half of one. Gzip output is a sequence of members compressed from 1 MiB
// blocks: valid gzip for every reader, byte-identical on every run.

import { closeSync, openSync, readdirSync, renameSync, rmSync, writeSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { threadId } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';

/** A temporary-name suffix unique per process, thread and file (shards on other machines may share pids). */
export function tmpName(path: string): string {
  return `${path}.tmp-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`;
}

/** gzip level used for all pipeline output (and by the benchmark's floor). */
export const GZIP_LEVEL = 4;
const BLOCK = 1 << 20;

/** Writes a file atomically (temporary name, then rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Streams lines into a .gz (or plain) file under a temporary name; close() renames it. */
export class LineWriter {
  private readonly tmp: string;
  private fd: number;
  // Lines are encoded straight into one block buffer (reused), flushed at BLOCK bytes.
  private buf = Buffer.allocUnsafe(BLOCK + (BLOCK >> 2));
  private used = 0;
  lines = 0;

  constructor(readonly path: string, private readonly gzip = path.endsWith('.gz')) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = tmpName(path);
    this.fd = openSync(this.tmp, 'w');
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
    writeSync(this.fd, this.gzip ? gzipSync(data, { level: GZIP_LEVEL }) : data);
    this.used = 0;
  }

  /** Flushes and renames to the final name. An empty .gz still gets a valid (empty) gzip member. */
  close(): void {
    if (this.gzip && this.lines === 0) writeSync(this.fd, gzipSync(Buffer.alloc(0), { level: GZIP_LEVEL }));
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.tmp, this.path);
  }

  /** Closes and deletes the temporary file (after an error). */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }
}

/** Streams uint32 words into a binary file under a temporary name. */
export class U32Writer {
  private readonly tmp: string;
  private fd: number;
  private buf = new Uint32Array(1 << 16);
  private used = 0;
  words = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = tmpName(path);
    this.fd = openSync(this.tmp, 'w');
  }

  write(words: ArrayLike<number>): void {
    for (let i = 0; i < words.length; i++) {
      if (this.used === this.buf.length) this.flush();
      this.buf[this.used++] = words[i]!;
    }
    this.words += words.length;
  }

  private flush(): void {
    writeSync(this.fd, new Uint8Array(this.buf.buffer, 0, this.used * 4));
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }
}

/** Deletes temporary files left in `dir` by a killed run, for names starting with `prefix`. */
export function removeStaleTemps(dir: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix) && n.includes('.tmp-')) rmSync(join(dir, n), { force: true });
}
