// Token shards on disk (DESIGN.md "Token shard format"): written by `anvil data tokenize`,
// read by `anvil train`. Little-endian header of 64 bytes, then the tokens:
//   0  magic "ANVILTOK" (8 bytes)   8  u32 version (1)   12 u32 token width (2 or 4)
//   16 u64 token count              24 u32 vocab size    28..63 zero padding
// Writers write to a temporary name and rename when complete, so a reader never sees a
// half-written shard under its final name.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import { TempFile } from '../util/atomic-file.js';

export const SHARD_MAGIC = 'ANVILTOK';
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 64;

/** Token byte width for a vocabulary: 2 when every id fits in a u16. */
export function tokenWidth(vocabSize: number): 2 | 4 {
  return vocabSize <= 65536 ? 2 : 4;
}

function header(width: number, count: number, vocabSize: number): Buffer {
  const h = Buffer.alloc(SHARD_HEADER_BYTES);
  h.write(SHARD_MAGIC, 0, 'latin1');
  h.writeUInt32LE(SHARD_VERSION, 8);
  h.writeUInt32LE(width, 12);
  h.writeBigUInt64LE(BigInt(count), 16);
  h.writeUInt32LE(vocabSize, 24);
  return h;
}

/**
 * Streams tokens into one shard file. The header is rewritten with the final count on
 * close(); until then the data lives under a temporary name (util/atomic-file.ts).
 * @example const w = new ShardWriter('train_000000.bin', 50257); w.write([1, 2, 3]); w.close();
 */
export class ShardWriter {
  readonly width: 2 | 4;
  private readonly file: TempFile;
  private count = 0;
  private buf: Buffer;
  private used = 0;

  constructor(readonly path: string, readonly vocabSize: number) {
    if (!Number.isInteger(vocabSize) || vocabSize <= 0 || vocabSize > 0xffffffff) {
      throw new RangeError(`ShardWriter: vocab size ${vocabSize} must be a positive 32-bit integer`);
    }
    this.width = tokenWidth(vocabSize);
    this.file = new TempFile(path);
    this.file.write(header(this.width, 0, vocabSize));
    this.buf = Buffer.alloc(1 << 20);
  }

  /** Tokens written so far. */
  get tokens(): number {
    return this.count;
  }

  /** Appends token ids; each must be below the vocabulary size. */
  write(ids: ArrayLike<number>): void {
    if (!this.file.open) throw new Error(`ShardWriter: ${this.path} is already closed`);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < this.vocabSize) || !Number.isInteger(id)) {
        throw new RangeError(`ShardWriter: token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      }
      if (this.used + this.width > this.buf.length) this.flush();
      if (this.width === 2) this.buf.writeUInt16LE(id, this.used);
      else this.buf.writeUInt32LE(id, this.used);
      this.used += this.width;
    }
    this.count += ids.length;
  }

  private flush(): void {
    if (this.used > 0) this.file.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  /** Finishes the header and renames the shard to its final name. */
  close(): void {
    if (!this.file.open) return;
    this.flush();
    this.file.write(header(this.width, this.count, this.vocabSize), 0);
    this.file.commit();
  }

  /** Drops the unfinished shard (after an error). */
  abort(): void {
    this.file.abort();
  }
}

/** Writes a whole shard at once (temporary name, then rename). */
export function writeShard(path: string, tokens: ArrayLike<number>, vocabSize: number): void {
  const w = new ShardWriter(path, vocabSize);
  try {
    w.write(tokens);
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** The fields of a shard header. */
export interface ShardHeader {
  version: number;
  width: 2 | 4;
  count: number;
  vocabSize: number;
}

function parseHeader(path: string, h: Buffer, fileBytes: number): ShardHeader {
  if (fileBytes < SHARD_HEADER_BYTES) throw new InputError(`truncated token shard: ${fileBytes} bytes, the header alone is ${SHARD_HEADER_BYTES}`, path);
  if (h.toString('latin1', 0, 8) !== SHARD_MAGIC) throw new InputError(`not a token shard (magic is not ${SHARD_MAGIC})`, path);
  const version = h.readUInt32LE(8);
  if (version !== SHARD_VERSION) throw new InputError(`token shard version ${version} is not supported (expected ${SHARD_VERSION})`, path);
  const width = h.readUInt32LE(12);
  if (width !== 2 && width !== 4) throw new InputError(`token width ${width} is invalid (2 or 4)`, path);
  const count = Number(h.readBigUInt64LE(16));
  const vocabSize = h.readUInt32LE(24);
  const expected = SHARD_HEADER_BYTES + count * width;
  if (fileBytes !== expected) {
    throw new InputError(`${fileBytes < expected ? 'truncated' : 'oversized'} token shard: header says ${count} tokens (${expected} bytes), file has ${fileBytes} bytes`, path);
  }
  return { version, width, count, vocabSize };
}

/** Reads and validates only the header of a shard. */
export function readShardHeader(path: string): ShardHeader {
  const fd = openShard(path);
  try {
    const h = Buffer.alloc(SHARD_HEADER_BYTES);
    readSync(fd, h, 0, SHARD_HEADER_BYTES, 0);
    return parseHeader(path, h, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function openShard(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new InputError(`cannot open token shard: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
}

/** Reads a whole shard, validating magic, version, width and count against the file size. */
export function readShard(path: string): { tokens: Uint16Array | Uint32Array; vocabSize: number } {
  const fd = openShard(path);
  try {
    const size = fstatSync(fd).size;
    const h = Buffer.alloc(Math.min(size, SHARD_HEADER_BYTES));
    readSync(fd, h, 0, h.length, 0);
    const hdr = parseHeader(path, h, size);
    const bytes = new Uint8Array(hdr.count * hdr.width);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, SHARD_HEADER_BYTES + off);
      if (n === 0) throw new InputError('token shard ended early while reading', path);
      off += n;
    }
    // Typed arrays view the host's byte order; every platform Node supports is little-endian.
    const tokens = hdr.width === 2 ? new Uint16Array(bytes.buffer, 0, hdr.count) : new Uint32Array(bytes.buffer, 0, hdr.count);
    return { tokens, vocabSize: hdr.vocabSize };
  } finally {
    closeSync(fd);
  }
}
