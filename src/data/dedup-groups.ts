// Step 2's core, with memory bounded by a budget of rows: among (value, document key) rows,
// where the value is a 64-bit exact hash or band key, find the values that occur more than
// once and report every document after the first (smallest key) with that first one.
//
// A pass reads its rows in ascending key order. Up to the budget they are held in memory
// (20 bytes a row) and sorted natively by value, equal values in key order. Above it the
// rows are hash-partitioned by the value's leading bits into files (in key order, as they
// arrive), and each partition is handled the same way: one still over the budget is split
// again on the bits below its values' common prefix, and one whose values are all equal is
// streamed (its first row is the first document). Every value's rows fall into one
// partition, in key order, so the reported pairs are the same for any budget; only their
// order differs. Partition files live in the caller's folder and are deleted once read;
// the write buffers (at most 2^FANOUT_BITS x 16 KiB) come on top of the budget.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { eachRow } from './dedup-files.js';
import { U32Writer } from './write.js';
import { AnvilError } from '../util/errors.js';
import type { BufferPool } from './sort64.js';

/** Calls a row's consumer with its value (hi, lo: the 64-bit value's halves) and document key. */
export type RowFn = (hi: number, lo: number, key: number) => void;

/** Rows that can be read (again) in ascending key order; `rows` is how many each() yields. */
export interface RowSource {
  rows: number;
  each(fn: RowFn): void;
}

/** A document whose value was seen first with document `first` (first < key). */
export type DuplicateFn = (first: number, key: number) => void;

/** What a grouper did: the most rows it held at once, and the partition files it wrote. */
export interface GroupStats {
  peakRows: number;
  partitions: number;
}

/** Bytes held per row in memory: the sort value, the value's low half, the document (a uint32 ordinal). */
export const BYTES_PER_ROW = 16;
/** Partitions per split, as bits of the value: at most 2^8 files open at once. */
const FANOUT_BITS = 8;
/** Buffered rows per partition file (16 bytes each). */
const WRITE_ROWS = 1024;
/** Words per partition row: value hi, value lo, key / 2^32, key % 2^32. */
const PART_WORDS = 4;
const KEY_SCALE = 2 ** 32;
/** One partition row, assembled before it is written. */
const ROW = new Uint32Array(PART_WORDS);

/** The `k` bits (k <= 8) of the 64-bit value (hi, lo) that start `from` bits below its top. */
export function bitsAt(hi: number, lo: number, from: number, k: number): number {
  const end = from + k;
  const mask = (1 << k) - 1;
  if (end <= 32) return (hi >>> (32 - end)) & mask;
  if (from >= 32) return (lo >>> (64 - end)) & mask;
  return ((hi << (end - 32)) | (lo >>> (64 - end))) & mask;
}

/** A partition file being written; tracks which leading bits all its values share. */
class Partition {
  private readonly out: U32Writer;
  // Bitwise AND and OR of all values: a bit is common to all where they agree.
  private andHi = -1;
  private andLo = -1;
  private orHi = 0;
  private orLo = 0;
  readonly path: string;

  constructor(dir: string, readonly name: string) {
    this.path = join(dir, `${name}.rows`);
    this.out = new U32Writer(this.path, PART_WORDS * WRITE_ROWS);
  }

  get rows(): number {
    return this.out.words / PART_WORDS;
  }

  push(hi: number, lo: number, key: number): void {
    const r = ROW;
    r[0] = hi;
    r[1] = lo;
    r[2] = Math.floor(key / KEY_SCALE);
    r[3] = key % KEY_SCALE;
    this.out.write(r);
    this.andHi &= hi;
    this.andLo &= lo;
    this.orHi |= hi;
    this.orLo |= lo;
  }

  /** How many leading bits all values share (64: they are all equal). */
  commonBits(): number {
    const dHi = this.andHi ^ this.orHi;
    if (dHi !== 0) return Math.clz32(dHi);
    return 32 + Math.clz32(this.andLo ^ this.orLo);
  }

  close(): void {
    this.out.close();
  }

  abort(): void {
    this.out.abort();
  }

  /** The written rows, as a source (in the order written). */
  source(): RowSource {
    const path = this.path;
    return {
      rows: this.rows,
      each(fn) {
        eachRow(path, PART_WORDS, (b, at) => fn(b[at]!, b[at + 1]!, b[at + 2]! * KEY_SCALE + b[at + 3]!));
      },
    };
  }
}

/**
 * Finds shared values pass after pass, holding at most `budget` rows; spills to `dir`.
 * Document keys are uint32 (dedup's ordinals).
 */
export class Grouper {
  readonly stats: GroupStats = { peakRows: 0, partitions: 0 };
  // Row arrays reused by every in-memory group: two buffers of `budget` 64-bit values (from
  // the pool when there is one), taken at the first group in memory.
  private packed: BigUint64Array = new BigUint64Array(0); // sort values (see inMemory)
  private pair: BigUint64Array = new BigUint64Array(0); // holds lo and keys
  private lo: Uint32Array = new Uint32Array(0); // the values' low halves
  private keys: Uint32Array = new Uint32Array(0);

  constructor(
    private readonly budget: number,
    private readonly dir: string,
    private readonly pool?: BufferPool,
  ) {
    if (pool && pool.rows !== budget) throw new Error(`grouper: budget ${budget}, pool buffers of ${pool.rows}`);
  }

  /** Calls onDuplicate for every row whose value an earlier row (smaller key) has; `name` names spill files. */
  run(src: RowSource, name: string, onDuplicate: DuplicateFn): void {
    if (src.rows <= this.budget) this.inMemory(src, onDuplicate);
    else this.split(src, name, 0, onDuplicate);
  }

  /** Gives the row arrays back (the grouper can still run; it takes them again). */
  release(): void {
    if (this.packed.length > 0 && this.pool) {
      this.pool.give(this.packed);
      this.pool.give(this.pair);
    }
    this.packed = this.pair = new BigUint64Array(0);
    this.lo = this.keys = new Uint32Array(0);
  }

  private reserve(): void {
    if (this.packed.length > 0) return;
    const take = () => this.pool?.take() ?? new BigUint64Array(this.budget);
    this.packed = take();
    this.pair = take();
    this.lo = new Uint32Array(this.pair.buffer, 0, this.budget);
    this.keys = new Uint32Array(this.pair.buffer, 4 * this.budget, this.budget);
  }

  /**
   * Sorts the rows by value with each row's index in place of the value's low bits (the
   * bits replaced kept aside in `lo`), so that rows whose values agree but for those bits
   * sit together, in row (key) order, with no lookup per row.
   */
  private inMemory(src: RowSource, onDuplicate: DuplicateFn): void {
    this.reserve();
    const { packed, lo, keys } = this;
    const halves = new Uint32Array(packed.buffer, 0, 2 * src.rows); // (sort lo, sort hi) per row
    const bits = src.rows <= 1 ? 0 : 32 - Math.clz32(src.rows - 1); // holds every index
    const high = bits === 32 ? 0 : ~((1 << bits) - 1); // the value's bits kept in the sort value
    let n = 0;
    src.each((h, l, k) => {
      halves[2 * n] = (l & high) | n;
      halves[2 * n + 1] = h;
      lo[n] = l;
      keys[n] = k;
      n++;
    });
    if (n !== src.rows) throw new AnvilError(`dedup: expected ${src.rows} rows, read ${n} (did a signature file change?)`);
    this.stats.peakRows = Math.max(this.stats.peakRows, n);
    packed.subarray(0, n).sort();
    for (let i = 0; i < n; ) {
      const h = halves[2 * i + 1]!;
      const t = halves[2 * i]! & high;
      let j = i + 1;
      while (j < n && halves[2 * j + 1] === h && (halves[2 * j]! & high) === t) j++;
      if (j - i > 1) this.group(halves, i, j, ~high >>> 0, onDuplicate);
      i = j;
    }
  }

  /** Reports the duplicates among sorted rows [i, j), which agree but for the low bits of lo. */
  private group(halves: Uint32Array, i: number, j: number, index: number, onDuplicate: DuplicateFn): void {
    const { lo, keys } = this;
    const r0 = (halves[2 * i]! & index) >>> 0;
    let same = true;
    for (let m = i + 1; m < j && same; m++) same = lo[(halves[2 * m]! & index) >>> 0] === lo[r0];
    if (same) {
      for (let m = i + 1; m < j; m++) onDuplicate(keys[r0]!, keys[(halves[2 * m]! & index) >>> 0]!);
      return;
    }
    // Values that differ only in the bits the index replaced: rare, as values are hashes.
    const firsts = new Map<number, number>();
    for (let m = i; m < j; m++) {
      const r = (halves[2 * m]! & index) >>> 0;
      const first = firsts.get(lo[r]!);
      if (first === undefined) firsts.set(lo[r]!, keys[r]!);
      else onDuplicate(first, keys[r]!);
    }
  }

  /** Partitions the rows on the k bits after the `from` leading bits all of them share. */
  private split(src: RowSource, name: string, from: number, onDuplicate: DuplicateFn): void {
    // One bit more than the ratio asks for, so that chance rarely leaves a part over the budget.
    const k = Math.min(FANOUT_BITS, 64 - from, Math.ceil(Math.log2(src.rows / this.budget)) + 1);
    mkdirSync(this.dir, { recursive: true });
    const parts = Array.from({ length: 2 ** k }, (_, i) => new Partition(this.dir, `${name}-${i}`));
    try {
      src.each((hi, lo, key) => parts[bitsAt(hi, lo, from, k)]!.push(hi, lo, key));
      for (const p of parts) p.close();
      for (const p of parts) {
        if (p.rows === 0) continue;
        this.stats.partitions++;
        this.part(p, onDuplicate);
        rmSync(p.path, { force: true });
      }
    } finally {
      // After an error, the files go with the caller's folder.
      for (const p of parts) p.abort();
    }
  }

  private part(p: Partition, onDuplicate: DuplicateFn): void {
    const src = p.source();
    if (p.rows <= this.budget) return this.inMemory(src, onDuplicate);
    const common = p.commonBits();
    if (common < 64) return this.split(src, p.name, common, onDuplicate);
    // One value in every row: the first row's document is the first, the rest are duplicates.
    let first = -1;
    src.each((_hi, _lo, key) => {
      if (first < 0) first = key;
      else onDuplicate(first, key);
    });
  }
}
