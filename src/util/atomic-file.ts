// Files that appear only when complete: bytes go to a temporary name beside the target
// (`<name>.tmp-<pid>-<thread>-<random>`) and are renamed into place at the end, so a kill
// at any moment leaves either the old state or the whole new file, never half of one.
// Every writer of the project (data pipeline output, token shards, checkpoints, model
// folders) goes through TempFile or writeFileAtomic.

import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';

/** A temporary name for `path`, unique per process, thread and call (machines may share pids). */
export function tmpName(path: string): string {
  return `${path}.tmp-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`;
}

/** An open file under a temporary name: write, then commit() (rename into place) or abort(). */
export class TempFile {
  readonly tmp: string;
  private fd: number;

  /** Creates the target's folder if needed and opens the temporary file. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = tmpName(path);
    this.fd = openSync(this.tmp, 'w');
  }

  get open(): boolean {
    return this.fd >= 0;
  }

  /** Writes all of `bytes`, at the current end or at `position`. */
  write(bytes: Uint8Array, position?: number): void {
    let off = 0;
    while (off < bytes.byteLength) {
      off += writeSync(this.fd, bytes, off, bytes.byteLength - off, position === undefined ? null : position + off);
    }
  }

  /** Closes and renames into place; `durable` also flushes the file and the folder entry to disk. */
  commit(durable = false): void {
    if (durable) fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.tmp, this.path);
    if (durable) fsyncDir(dirname(this.path));
  }

  /** Closes and deletes the temporary file (after an error); safe to call twice. */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }
}

/**
 * Writes `parts` to `path` atomically. `durable` (the default) also fsyncs the file and
 * its folder, so the new file survives a power loss, not only a killed process.
 */
export function writeFileAtomic(path: string, parts: Uint8Array | string | (Uint8Array | string)[], durable = true): void {
  const f = new TempFile(path);
  try {
    for (const p of Array.isArray(parts) ? parts : [parts]) f.write(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
    f.commit(durable);
  } catch (e) {
    f.abort();
    throw e;
  }
}

/** Flushes a folder's entries (a rename) to disk; a no-op where the platform refuses. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a folder for fsync; the rename is still atomic there.
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
