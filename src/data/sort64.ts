// External sort of unsigned 64-bit values, each given as its (hi, lo) uint32 halves, with
// a bounded number held in memory: dedup's clustering step (dedup.ts, components.ts) sorts
// its pairs of document ordinals (hi, lo) this way, so that its memory does not grow with
// the number of duplicates found.
//
// Up to the budget, values stay in one BigUint64Array sorted natively. Above it, each full
// buffer is sorted and written as a run file; the runs are merged (a heap of run readers,
// at most FANIN at once; more runs are first merged into fewer). The sorted values are read
// once, with a pull cursor, optionally without repeats.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RowReader } from './dedup-files.js';
import { U32Writer } from './write.js';

/** A pull cursor over (hi, lo) values: next() moves to the next one; false at the end. */
export interface Cursor64 {
  next(): boolean;
  readonly hi: number;
  readonly lo: number;
  /** Closes its files (done by itself at the end; needed when left early, after an error). */
  close(): void;
}

/** What sorters did: the most values one held in memory, the run files written. */
export interface SortStats {
  peakRows: number;
  runs: number;
}

/**
 * Buffers of `rows` 64-bit values, handed out and taken back, so that a chain of sorters
 * (and dedup's grouper) reuses a few buffers instead of leaving freed ones for the garbage
 * collector, which may take its time: what is held is what is in use.
 */
export class BufferPool {
  private readonly free: BigUint64Array[] = [];
  /** Buffers allocated so far (the most ever in use at once). */
  allocated = 0;
  constructor(readonly rows: number) {}
  take(): BigUint64Array {
    const b = this.free.pop();
    if (b) return b;
    this.allocated++;
    // Pages are taken from the system only as they are written.
    return new BigUint64Array(this.rows);
  }
  give(b: BigUint64Array): void {
    if (b.length !== this.rows) throw new Error(`buffer of ${b.length} values given to a pool of ${this.rows}`);
    this.free.push(b);
  }
}

/** Runs merged at once (a reader of 32 KiB each). */
const FANIN = 64;
/** Rows per read block of a run file (8 bytes each). */
const RUN_READ_ROWS = 4096;

/** The values of a file of (lo, hi) word pairs, in file order. */
export class FileCursor implements Cursor64 {
  private readonly r: RowReader;
  hi = 0;
  lo = 0;
  constructor(readonly path: string) {
    this.r = new RowReader(path, 2, RUN_READ_ROWS);
  }
  next(): boolean {
    if (!this.r.next()) return false;
    this.lo = this.r.block[this.r.at]!;
    this.hi = this.r.block[this.r.at + 1]!;
    return true;
  }
  close(): void {
    this.r.close();
  }
}

/** Cursors over run files; if one cannot be opened, those already open are closed. */
function openRuns(paths: string[]): FileCursor[] {
  const out: FileCursor[] = [];
  try {
    for (const p of paths) out.push(new FileCursor(p));
  } catch (e) {
    for (const c of out) c.close();
    throw e;
  }
  return out;
}

/** An empty cursor. */
export const NO_VALUES: Cursor64 = { next: () => false, hi: 0, lo: 0, close: () => {} };

/** Values in a sorted in-memory buffer (words: lo, hi per value, little-endian BigUint64Array). */
class MemoryCursor implements Cursor64 {
  private i = -2;
  hi = 0;
  lo = 0;
  constructor(
    private words: Uint32Array,
    private readonly n: number,
  ) {}
  next(): boolean {
    this.i += 2;
    if (this.i >= 2 * this.n) {
      this.close();
      return false;
    }
    this.lo = this.words[this.i]!;
    this.hi = this.words[this.i + 1]!;
    return true;
  }
  /** Lets the buffer go (a finished cursor may stay referenced). */
  close(): void {
    this.words = new Uint32Array(0);
    this.i = Infinity;
  }
}

const less = (a: Cursor64, b: Cursor64) => a.hi < b.hi || (a.hi === b.hi && a.lo < b.lo);

/** The sorted merge of sorted cursors (a binary heap of the cursors, by their current value). */
class MergeCursor implements Cursor64 {
  private readonly heap: Cursor64[] = [];
  private started = false;
  hi = 0;
  lo = 0;
  constructor(inputs: Cursor64[]) {
    try {
      for (const c of inputs) if (c.next()) this.heap.push(c);
    } catch (e) {
      for (const c of inputs) c.close();
      throw e;
    }
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }
  next(): boolean {
    const h = this.heap;
    if (this.started && h.length > 0) {
      // The top was returned last time: advance it, or drop it when it is done.
      if (h[0]!.next()) this.down(0);
      else {
        const last = h.pop()!;
        if (h.length > 0) {
          h[0] = last;
          this.down(0);
        }
      }
    }
    this.started = true;
    if (h.length === 0) return false;
    this.hi = h[0]!.hi;
    this.lo = h[0]!.lo;
    return true;
  }
  close(): void {
    for (const c of this.heap) c.close();
    this.heap.length = 0;
  }
  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) return;
      const c = l + 1 < h.length && less(h[l + 1]!, h[l]!) ? l + 1 : l;
      if (!less(h[c]!, h[i]!)) return;
      [h[i], h[c]] = [h[c]!, h[i]!];
      i = c;
    }
  }
}

/** Skips values equal to the one before. */
class UniqueCursor implements Cursor64 {
  private any = false;
  hi = 0;
  lo = 0;
  constructor(private readonly src: Cursor64) {}
  close(): void {
    this.src.close();
  }
  next(): boolean {
    while (this.src.next()) {
      if (this.any && this.src.hi === this.hi && this.src.lo === this.lo) continue;
      this.any = true;
      this.hi = this.src.hi;
      this.lo = this.src.lo;
      return true;
    }
    return false;
  }
}

/** Calls `end` once, when the cursor runs out (a sorter's run files go once read). */
class DisposingCursor implements Cursor64 {
  hi = 0;
  lo = 0;
  constructor(
    private readonly src: Cursor64,
    private end: (() => void) | undefined,
  ) {}
  next(): boolean {
    if (this.src.next()) {
      this.hi = this.src.hi;
      this.lo = this.src.lo;
      return true;
    }
    this.close();
    return false;
  }
  close(): void {
    this.src.close();
    this.end?.();
    this.end = undefined;
  }
}

/**
 * Sorts the values pushed into it, holding at most `budget` in memory (8 bytes each);
 * run files go to `dir` (named after `name`) and are deleted once merged or read.
 */
export class Sorter64 {
  private buf: BigUint64Array = new BigUint64Array(0);
  private words: Uint32Array = new Uint32Array(0);
  private n = 0;
  private runs: string[] = [];
  private seq = 0;
  private done = false;
  /** Values pushed. */
  count = 0;

  constructor(
    private readonly budget: number,
    private readonly dir: string,
    private readonly name: string,
    private readonly stats: SortStats = { peakRows: 0, runs: 0 },
    private readonly pool?: BufferPool,
  ) {
    if (pool && pool.rows !== budget) throw new Error(`sorter ${name}: budget ${budget}, pool buffers of ${pool.rows}`);
  }

  push(hi: number, lo: number): void {
    if (this.n === this.buf.length) this.room();
    else if (this.done) throw new Error(`sorter ${this.name}: push after read`);
    const w = this.words;
    w[2 * this.n] = lo;
    w[2 * this.n + 1] = hi;
    this.n++;
    this.count++;
  }

  /**
   * Makes room for one more value: the buffer at first (the whole budget at once: its pages
   * take memory only as they are written), a run file when it is full.
   */
  private room(): void {
    if (this.done) throw new Error(`sorter ${this.name}: push after read`);
    if (this.buf.length === 0) {
      this.buf = this.pool?.take() ?? new BigUint64Array(this.budget);
      this.words = new Uint32Array(this.buf.buffer);
    } else this.spill();
  }

  private runPath(): string {
    return join(this.dir, `${this.name}-${this.seq++}.u64`);
  }

  private spill(): void {
    this.stats.peakRows = Math.max(this.stats.peakRows, this.n);
    this.buf.subarray(0, this.n).sort();
    mkdirSync(this.dir, { recursive: true });
    const w = new U32Writer(this.runPath(), 1 << 14);
    try {
      w.write(this.words.subarray(0, 2 * this.n));
      w.close();
    } catch (e) {
      w.abort();
      throw e;
    }
    this.runs.push(w.path);
    this.stats.runs++;
    this.n = 0;
  }

  /** Merges runs FANIN at a time into fewer runs, until FANIN or fewer are left. */
  private reduceRuns(): void {
    while (this.runs.length > FANIN) {
      const next: string[] = [];
      for (let i = 0; i < this.runs.length; i += FANIN) {
        const group = this.runs.slice(i, i + FANIN);
        if (group.length === 1) {
          next.push(group[0]!);
          continue;
        }
        const path = this.runPath();
        const merged = new MergeCursor(openRuns(group));
        try {
          writeValues(merged, path);
        } finally {
          merged.close();
        }
        for (const p of group) rmSync(p, { force: true });
        next.push(path);
        this.stats.runs++;
      }
      this.runs = next;
    }
  }

  /**
   * The values in ascending order (without repeats if `unique`); a sorter is read once, and
   * its run files are deleted when the cursor runs out (or by dispose()).
   */
  sorted(unique = false): Cursor64 {
    if (this.done) throw new Error(`sorter ${this.name}: read twice`);
    this.done = true;
    let c: Cursor64;
    if (this.runs.length === 0) {
      this.stats.peakRows = Math.max(this.stats.peakRows, this.n);
      this.buf.subarray(0, this.n).sort();
      c = new MemoryCursor(this.words, this.n);
    } else {
      if (this.n > 0) this.spill();
      this.freeBuffer();
      this.reduceRuns();
      c = new MergeCursor(openRuns(this.runs));
    }
    return new DisposingCursor(unique ? new UniqueCursor(c) : c, () => this.dispose());
  }

  /** Deletes the run files and gives the buffer back (once read, or after an error). */
  dispose(): void {
    for (const p of this.runs) rmSync(p, { force: true });
    this.runs = [];
    this.freeBuffer();
  }

  private freeBuffer(): void {
    if (this.buf.length > 0) this.pool?.give(this.buf);
    this.buf = new BigUint64Array(0);
    this.words = new Uint32Array(0);
  }
}

/** Writes a cursor's values to a file of (lo, hi) word pairs (read again with FileCursor); returns how many. */
export function writeValues(c: Cursor64, path: string): number {
  const w = new U32Writer(path, 1 << 14);
  const pair = new Uint32Array(2);
  let n = 0;
  try {
    while (c.next()) {
      pair[0] = c.lo;
      pair[1] = c.hi;
      w.write(pair);
      n++;
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return n;
}
