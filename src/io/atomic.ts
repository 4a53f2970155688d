// Atomic file writes: write to a temporary name beside the target, fsync, then rename,
// so a crash at any moment leaves either the old file or the complete new one.

import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `parts` to `path` atomically (temporary name, fsync, rename, fsync of the folder). */
export function writeFileAtomic(path: string, parts: Uint8Array | string | (Uint8Array | string)[]): void {
  const list = Array.isArray(parts) ? parts : [parts];
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of list) {
      const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** Flushes a folder's entries (the rename) to disk; a no-op where the platform refuses. */
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
