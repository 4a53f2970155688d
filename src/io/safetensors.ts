// Reader and writer for safetensors files (f32, f16, bf16), single files and sharded
// folders with model.safetensors.index.json. Every header is validated against the file
// size before anything is allocated, so a corrupt or hostile file is an InputError that
// names the file, never an out-of-memory.
//
// Layout: u64 LE header length N, N bytes of UTF-8 JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the
// data buffer; offsets are relative to the start of the data buffer.

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';

/** The float dtypes anvil reads and writes. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

/** Bytes per element of every dtype the format defines (validation accepts them all). */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
  F8_E4M3: 1, F8_E5M2: 1,
};

/** The safetensors spec's cap on the JSON header (100 MB). */
const MAX_HEADER = 100_000_000;

/** A tensor in memory: values are always held as f32; `dtype` is the storage dtype. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
  /** Storage dtype on disk (default F32 when writing). */
  dtype?: FloatDtype;
}

/** One header entry, validated. */
export interface HeaderEntry {
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the tensor in the file. */
  start: number;
  byteLength: number;
}

/** A parsed, validated header. */
export interface SafetensorsHeader {
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  fileSize: number;
}

function readExact(fd: number, length: number, position: number, file: string): Buffer {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, length - off, position + off);
    if (n === 0) throw new InputError(`file ends early (wanted ${length} bytes at offset ${position})`, file);
    off += n;
  }
  return buf;
}

/** Reads and validates the header of an open safetensors file. */
function readHeader(fd: number, file: string): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8) throw new InputError(`not a safetensors file: ${fileSize} bytes, shorter than the 8-byte header length`, file);
  const n = Number(readExact(fd, 8, 0, file).readBigUInt64LE(0));
  if (n > MAX_HEADER) throw new InputError(`corrupt safetensors header: claims a ${n}-byte header (limit ${MAX_HEADER})`, file);
  if (8 + n > fileSize) throw new InputError(`truncated safetensors file: header claims ${n} bytes but the file has ${fileSize}`, file);
  let json: unknown;
  try {
    json = JSON.parse(readExact(fd, n, 8, file).toString('utf8'));
  } catch (e) {
    throw new InputError(`corrupt safetensors header: ${(e as Error).message}`, file);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError('corrupt safetensors header: not a JSON object', file);
  }
  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) throw new InputError('corrupt safetensors header: __metadata__ is not an object', file);
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `tensor "${name}"`;
    if (typeof e !== 'object' || e === null) throw new InputError(`corrupt safetensors header: ${where} is not an object`, file);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      throw new InputError(`corrupt safetensors header: ${where} has unknown dtype ${JSON.stringify(e.dtype)}`, file);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new InputError(`corrupt safetensors header: ${where} has an invalid shape ${JSON.stringify(e.shape)}`, file);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[1] < off[0]) {
      throw new InputError(`corrupt safetensors header: ${where} has invalid data_offsets ${JSON.stringify(off)}`, file);
    }
    const shape = e.shape as number[];
    // Multiply step by step so an absurd shape is caught before it overflows.
    let count = 1;
    for (const d of shape) {
      count *= d;
      if (count > Number.MAX_SAFE_INTEGER / 8) throw new InputError(`corrupt safetensors header: ${where} claims an absurd size ${JSON.stringify(shape)}`, file);
    }
    const bytes = count * DTYPE_BYTES[e.dtype]!;
    const [begin, end] = off as [number, number];
    if (end - begin !== bytes) {
      throw new InputError(`corrupt safetensors header: ${where} has shape ${JSON.stringify(shape)} (${bytes} bytes) but data_offsets span ${end - begin}`, file);
    }
    if (end > dataSize) {
      throw new InputError(`truncated or corrupt safetensors file: ${where} ends at byte ${end} of a ${dataSize}-byte data buffer`, file);
    }
    entries.set(name, { dtype: e.dtype, shape, start: dataStart + begin, byteLength: bytes });
    spans.push([begin, end, name]);
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) {
      throw new InputError(`corrupt safetensors header: tensors "${spans[i - 1]![2]}" and "${spans[i]![2]}" overlap`, file);
    }
  }
  return { entries, metadata, fileSize };
}

/** Reads only the validated header of a safetensors file (names, dtypes, shapes). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openFile(file);
  try {
    return readHeader(fd, file);
  } finally {
    closeSync(fd);
  }
}

function openFile(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    throw new InputError(`cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
}

/**
 * Reads a safetensors file; float tensors are converted to f32.
 * @param names when given, only these tensors are read.
 */
export function readSafetensors(file: string, names?: Iterable<string>): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const fd = openFile(file);
  try {
    const header = readHeader(fd, file);
    const want = names ? new Set(names) : undefined;
    const tensors = new Map<string, NamedTensor>();
    for (const [name, e] of header.entries) {
      if (want && !want.has(name)) continue;
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
        throw new InputError(`tensor "${name}" has dtype ${e.dtype}; anvil reads F32, F16 and BF16`, file);
      }
      const raw = readExact(fd, e.byteLength, e.start, file);
      tensors.set(name, { shape: e.shape, data: decode(raw, e.dtype), dtype: e.dtype });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    closeSync(fd);
  }
}

/** Converts little-endian stored values to f32. */
function decode(raw: Buffer, dtype: FloatDtype): Float32Array {
  if (dtype === 'F32') {
    const out = new Float32Array(raw.byteLength / 4);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const n = raw.byteLength / 2;
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = raw.readUInt16LE(2 * i) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(raw.readUInt16LE(2 * i));
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits -> float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Float -> IEEE half bits, rounding to nearest even. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** Float -> bfloat16 bits, rounding to nearest even (NaN stays NaN). */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function encode(t: NamedTensor): Uint8Array {
  const dtype = t.dtype ?? 'F32';
  const n = t.data.length;
  if (dtype === 'F32') return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = Buffer.alloc(2 * n);
  const conv = dtype === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0; i < n; i++) out.writeUInt16LE(conv(t.data[i]!), 2 * i);
  return out;
}

/** Serializes tensors (in the given order) into safetensors bytes, as a list of parts. */
export function encodeSafetensors(tensors: Map<string, NamedTensor> | [string, NamedTensor][], metadata?: Record<string, string>): Uint8Array[] {
  const list = tensors instanceof Map ? [...tensors] : tensors;
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new RangeError(`tensor "${name}": shape ${JSON.stringify(t.shape)} holds ${count} values but data has ${t.data.length}`);
    const bytes = encode(t);
    header[name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    parts.push(bytes);
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data buffer starts 8-byte aligned, as the reference writer does.
  const len = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (len % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(jsonBytes.byteLength));
  return [prefix, jsonBytes, ...parts];
}

/** Writes a safetensors file atomically (temporary name, fsync, rename). */
export function writeSafetensors(file: string, tensors: Map<string, NamedTensor> | [string, NamedTensor][], metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

/** Name of the index file of a sharded model folder. */
export const INDEX_FILE = 'model.safetensors.index.json';

/**
 * Writes the weights of a model folder: `model.safetensors`, or shards
 * `model-0000i-of-0000N.safetensors` plus `model.safetensors.index.json` when the
 * total exceeds `maxShardBytes`.
 */
export function writeSafetensorsFolder(dir: string, tensors: Map<string, NamedTensor>, opts: { maxShardBytes?: number; metadata?: Record<string, string> } = {}): string[] {
  const max = opts.maxShardBytes ?? 5e9;
  const metadata = { format: 'pt', ...opts.metadata };
  const shards: [string, NamedTensor][][] = [[]];
  let size = 0;
  let total = 0;
  for (const entry of tensors) {
    const bytes = entry[1].data.length * ((entry[1].dtype ?? 'F32') === 'F32' ? 4 : 2);
    if (size > 0 && size + bytes > max) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1]!.push(entry);
    size += bytes;
    total += bytes;
  }
  if (shards.length === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), shards[0]!, metadata);
    return ['model.safetensors'];
  }
  const n = shards.length;
  const pad = (i: number) => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const files: string[] = [];
  shards.forEach((shard, i) => {
    const name = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
    writeSafetensors(join(dir, name), shard, metadata);
    for (const [t] of shard) weightMap[t] = name;
    files.push(name);
  });
  writeFileAtomic(join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n');
  return [...files, INDEX_FILE];
}

/** Reads all weights of a model folder, single-file or sharded. */
export function readSafetensorsFolder(dir: string): Map<string, NamedTensor> {
  const index = join(dir, INDEX_FILE);
  const single = join(dir, 'model.safetensors');
  if (existsSync(index)) {
    let parsed: { weight_map?: Record<string, unknown> };
    try {
      parsed = JSON.parse(readFileSync(index, 'utf8'));
    } catch (e) {
      throw new InputError(`invalid JSON: ${(e as Error).message}`, index);
    }
    const map = parsed.weight_map;
    if (!map || typeof map !== 'object') throw new InputError('missing "weight_map"', index);
    const byFile = new Map<string, string[]>();
    for (const [name, f] of Object.entries(map)) {
      if (typeof f !== 'string' || f.includes('/') || f.includes('\\')) throw new InputError(`weight_map["${name}"] is not a file name in this folder`, index);
      if (!byFile.has(f)) byFile.set(f, []);
      byFile.get(f)!.push(name);
    }
    const out = new Map<string, NamedTensor>();
    for (const [f, names] of byFile) {
      const { tensors } = readSafetensors(join(dir, f), names);
      for (const name of names) {
        const t = tensors.get(name);
        if (!t) throw new InputError(`tensor "${name}" is listed in ${INDEX_FILE} but missing from the shard`, join(dir, f));
        out.set(name, t);
      }
    }
    return out;
  }
  if (!existsSync(single)) throw new InputError(`no model.safetensors or ${INDEX_FILE} in this folder`, dir);
  return readSafetensors(single).tensors;
}
