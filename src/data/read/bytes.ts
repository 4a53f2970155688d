// Byte streams of input files: plain, gzip (multi-member included) or zstd, decompressed
// incrementally so memory stays bounded by the chunk size, whatever the file size. A
// truncated or corrupt compressed stream ends the stream with a DecompressError that
// says how far it got, instead of throwing away what was read.

import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

/** Raised at the point where a compressed stream turned out to be broken. */
export class DecompressError extends Error {
  constructor(message: string, readonly decompressedOffset: number) {
    super(message);
  }
}

export type Compression = 'gzip' | 'zstd' | 'none';

export function compressionOf(path: string): Compression {
  if (/\.gz$/i.test(path)) return 'gzip';
  if (/\.zst$/i.test(path)) return 'zstd';
  return 'none';
}

/** Yields the decompressed bytes of a file in chunks. */
export async function* fileChunks(path: string, compression = compressionOf(path)): AsyncGenerator<Buffer> {
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  let out = 0;
  if (compression === 'none') {
    for await (const c of src) yield c as Buffer;
    return;
  }
  if (compression === 'gzip') {
    const gun = createGunzip({ chunkSize: 1 << 18 });
    src.on('error', (e) => gun.destroy(e));
    src.pipe(gun);
    try {
      for await (const c of gun) {
        out += (c as Buffer).length;
        yield c as Buffer;
      }
    } catch (e) {
      throw new DecompressError(`gzip stream is broken (${(e as Error).message})`, out);
    }
    return;
  }
  // zstd: fzstd's streaming decoder calls back with each decompressed chunk.
  const pending: Uint8Array[] = [];
  let ended = false;
  const dec = new Decompress((chunk, final) => {
    pending.push(chunk);
    if (final) ended = true;
  });
  try {
    for await (const c of src) {
      dec.push(c as Uint8Array);
      while (pending.length) {
        const p = pending.shift()!;
        out += p.length;
        yield Buffer.from(p.buffer, p.byteOffset, p.length);
      }
    }
    dec.push(new Uint8Array(0), true);
  } catch (e) {
    throw new DecompressError(`zstd stream is broken (${(e as Error).message})`, out);
  }
  while (pending.length) {
    const p = pending.shift()!;
    out += p.length;
    yield Buffer.from(p.buffer, p.byteOffset, p.length);
  }
  if (!ended) throw new DecompressError('zstd stream ends early', out);
}

/** Yields lines (without the newline) with their 1-based numbers; a final line without newline counts. */
export async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<{ line: Buffer; n: number }> {
  let rest: Buffer | undefined;
  let n = 0;
  for await (const chunk of chunks) {
    let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let i = buf.indexOf(10, start); i >= 0; i = buf.indexOf(10, start)) {
      const end = i > start && buf[i - 1] === 13 ? i - 1 : i;
      yield { line: buf.subarray(start, end), n: ++n };
      start = i + 1;
    }
    rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    buf = Buffer.alloc(0);
  }
  if (rest && rest.length) yield { line: rest, n: ++n };
}

/**
 * Calls fn for each line (without the newline) of an uncompressed file, reading 1 MiB
 * blocks synchronously: for the pipeline's own intermediate files, where a per-line
 * async iteration costs more than the work done per line. `line` is valid only during
 * the call unless copied.
 */
export function forEachLineSync(path: string, fn: (line: Buffer) => void): void {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(1 << 20);
    let have = 0;
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const got = readSync(fd, buf, have, buf.length - have, null);
      const end = have + got;
      let start = 0;
      for (let i = buf.indexOf(10, have); i >= 0 && i < end; i = buf.indexOf(10, start)) {
        fn(buf.subarray(start, i));
        start = i + 1;
      }
      if (got === 0) {
        if (start < end) fn(buf.subarray(start, end));
        return;
      }
      // Keep the partial last line at the front of the block; the next read appends to it.
      buf.copy(buf, 0, start, end);
      have = end - start;
    }
  } finally {
    closeSync(fd);
  }
}
