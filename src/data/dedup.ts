// Step 2 of a run: deduplication across all units of all shards. Exact duplicates share
// the 64-bit hash of their normalised text; near duplicates share at least one MinHash
// band key (LSH). One pass for the exact hashes, then one per band, reads every unit's
// signature file and finds the values that occur more than once (dedup-groups.ts); their
// documents join (exact: the first keeps; near: connected components, components.ts).
// Each cluster keeps its smallest document key (earliest file, then earliest record), so
// the result is the same whatever the number of shards or threads, and whatever the
// memory budget.
//
// Documents are numbered by ordinal (their row among all units' signature rows, in key
// order), so that a pair of documents is one 64-bit value. Nothing proportional to the
// number of documents or of duplicates is held in memory: the pairs found (exact: document
// and first document; near: edges) go to external sorters (sort64.ts), the clusters are
// found by sorting, the removal rows are written unit by unit as they come out in document
// order. Memory is a budget of rows (DEDUP_BYTES_PER_ROW each: a grouper row and a sorter
// value) with the files under OUT/work/ taking the rest. The signature files stay on disk.

import { closeSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { layout } from './layout.js';
import { sigWords } from './unit.js';
import { docId } from './doc.js';
import { eachRow } from './dedup-files.js';
import { BYTES_PER_ROW, Grouper, type RowSource } from './dedup-groups.js';
import { FileCursor, NO_VALUES, Sorter64, writeValues, type Cursor64, type SortStats } from './sort64.js';
import { components } from './components.js';
import { U32Writer } from './write.js';
import { tmpName } from '../util/atomic-file.js';
import { UsageError } from '../util/errors.js';

/** A removed document: its record, kind, and the kept document of its cluster. */
export type Removal = [record: number, kind: 'exact' | 'near', keptUnit: number, keptRecord: number];

/**
 * Words of one removal row: record, kind (REMOVED_EXACT or REMOVED_NEAR), kept unit, kept
 * record. Rows are 16 bytes, where a Removal tuple costs ~100 and its JSON as much again:
 * at crawl scale, a third of the documents or more are duplicates.
 */
export const REMOVAL_WORDS = 4;
export const REMOVED_EXACT = 0;
export const REMOVED_NEAR = 1;

/** What the report needs of a dedup run (the marker holds this). */
export interface DedupSummary {
  exact: number;
  near: number;
  clusters: number;
  /** Up to 10 clusters (kept id first) for the report. */
  examples: { kept: string; removed: string[]; kind: 'exact' | 'near' }[];
}

export interface DedupOptions {
  bands: number;
  exact: boolean;
  near: boolean;
  /** Most signature rows held in memory at once (default DEDUP_BUDGET_ROWS); more spill to disk. */
  budgetRows?: number;
  /** Filled in with what was held and written (see DedupStats). */
  stats?: DedupStats;
}

/** What a dedup run held and wrote. */
export interface DedupStats {
  /** Most rows (grouper rows or sorter values) one step held in memory at once. */
  peakRows: number;
  /** Partition files of the grouping passes. */
  partitions: number;
  /** Run files of the sorters. */
  runs: number;
  /** Rounds of the connected-components step (0: no near-duplicate pairs). */
  rounds: number;
}

/**
 * Bytes of memory per row of the budget: a grouper row (20) while, during the band passes,
 * the sorter of near-duplicate pairs fills (8 per value). The later steps hold less: two
 * sorters at once, and removal rows in batches of a quarter budget.
 */
export const DEDUP_BYTES_PER_ROW = BYTES_PER_ROW + 8;

/** Default memory budget: the rows that fit in 64 MiB (about 2.4 million). */
export const DEDUP_BUDGET_ROWS = Math.floor((64 * 2 ** 20) / DEDUP_BYTES_PER_ROW);

/** Ordinals are uint32: a run deduplicates at most this many documents. */
export const MAX_DEDUP_DOCS = 2 ** 32 - 1;

/** A unit's removal rows as tuples. */
export function removalsOf(rows: Uint32Array): Removal[] {
  const out: Removal[] = [];
  for (let i = 0; i + REMOVAL_WORDS <= rows.length; i += REMOVAL_WORDS) {
    out.push([rows[i]!, rows[i + 1] === REMOVED_EXACT ? 'exact' : 'near', rows[i + 2]!, rows[i + 3]!]);
  }
  return out;
}

/** Where each unit's documents start among the ordinals (starts[i] for units[i]; the last entry is the total). */
class Ordinals {
  constructor(readonly starts: number[]) {}
  get total(): number {
    return this.starts[this.starts.length - 1]!;
  }
  /** The index (into units) of the unit holding ordinal `d`. */
  unitAt(d: number): number {
    let lo = 0;
    let hi = this.starts.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= d) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Rows read at once by RecordReader. */
const RECORD_BLOCK_ROWS = 512;

/** The record (word 0 of its signature row) of a document ordinal; reads are fastest in ascending order. */
class RecordReader {
  private i = -1;
  private fd = -1;
  private readonly block: Uint32Array;
  private first = 0;
  private rows = 0;

  constructor(
    private readonly out: string,
    private readonly units: number[],
    private readonly ords: Ordinals,
    private readonly words: number,
  ) {
    this.block = new Uint32Array(RECORD_BLOCK_ROWS * words);
  }

  /** The unit index of the last ordinal read. */
  get unitIndex(): number {
    return this.i;
  }

  record(d: number): number {
    const { starts } = this.ords;
    let i = this.i;
    if (i < 0 || d < starts[i]! || d >= starts[i + 1]!) {
      i = this.ords.unitAt(d);
      this.close();
      this.fd = openSync(layout.signatures(this.out, this.units[i]!), 'r');
      this.i = i;
      this.rows = 0;
    }
    const row = d - starts[i]!;
    if (row < this.first || row >= this.first + this.rows) {
      const rows = Math.min(RECORD_BLOCK_ROWS, starts[i + 1]! - starts[i]! - row);
      const bytes = new Uint8Array(this.block.buffer, 0, rows * this.words * 4);
      let got = 0;
      while (got < bytes.length) got += readSync(this.fd, bytes, got, bytes.length - got, row * this.words * 4 + got);
      this.first = row;
      this.rows = rows;
    }
    return this.block[(row - this.first) * this.words]!;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.i = -1;
  }
}

/**
 * One column of the signature files (the value in words col, col + 1 of each row), keyed
 * by document ordinal, leaving out the documents of `skip` (a value file of (document, _)
 * in ascending order).
 */
function signatureColumn(out: string, units: number[], words: number, ords: Ordinals, col: number, skip?: { path: string; rows: number }): RowSource {
  return {
    rows: ords.total - (skip?.rows ?? 0),
    each(fn) {
      const s = skip ? new FileCursor(skip.path) : undefined;
      let more = s?.next() ?? false;
      let d = 0;
      try {
        for (const u of units) {
          eachRow(layout.signatures(out, u), words, (row, at) => {
            const doc = d++;
            while (more && s!.hi < doc) more = s!.next();
            if (more && s!.hi === doc) return;
            fn(row[at + col]!, row[at + col + 1]!, doc);
          });
        }
      } finally {
        s?.close();
      }
    },
  };
}

/**
 * Prefix of the spill folders under OUT/work/ (one per dedup run, named like a temporary
 * file). A killed run's folder is not removed at the start: shards finishing together may
 * run dedup at the same time, each in its own folder; the pipeline deletes OUT/work, stale
 * folders included, when the run completes.
 */
const SPILL = 'dedup-spill';

/** Clusters shown in the report, and removed ids shown per cluster. */
const EXAMPLES = 10;
const EXAMPLE_MEMBERS = 20;

/**
 * Writes the removal rows, given in ascending document order, to one file per unit
 * (layout.removed), and counts them. Rows wait in batches so that their kept documents'
 * records are read in ascending order too.
 */
class RemovalWriter {
  readonly summary: DedupSummary = { exact: 0, near: 0, clusters: 0, examples: [] };
  private readonly doc: Uint32Array;
  private readonly keeper: Uint32Array;
  private readonly kind: Uint8Array;
  private readonly order: BigUint64Array;
  private readonly keptRecord: Uint32Array;
  private readonly keptUnit: Uint32Array;
  private n = 0;
  private readonly docs: RecordReader;
  private readonly kept: RecordReader;
  private writer: U32Writer | undefined;
  private writerUnit = -1;
  private readonly written = new Set<number>();
  private readonly row = new Uint32Array(REMOVAL_WORDS);
  // The smallest kept documents so far (ascending) with their first removed ids; since
  // removals come in document order and a keeper precedes its cluster, a keeper is either
  // taken at its first removal or never.
  private readonly examples: { key: number; kept: string; removed: string[]; near: boolean }[] = [];

  constructor(
    private readonly out: string,
    private readonly units: number[],
    ords: Ordinals,
    words: number,
    batch: number,
    private readonly keepers: Sorter64,
  ) {
    this.doc = new Uint32Array(batch);
    this.keeper = new Uint32Array(batch);
    this.kind = new Uint8Array(batch);
    this.order = new BigUint64Array(batch);
    this.keptRecord = new Uint32Array(batch);
    this.keptUnit = new Uint32Array(batch);
    this.docs = new RecordReader(out, units, ords, words);
    this.kept = new RecordReader(out, units, ords, words);
  }

  add(doc: number, keeper: number, kind: number): void {
    if (this.n === this.doc.length) this.flush();
    this.doc[this.n] = doc;
    this.keeper[this.n] = keeper;
    this.kind[this.n] = kind;
    this.n++;
    this.keepers.push(keeper, 0);
    if (kind === REMOVED_EXACT) this.summary.exact++;
    else this.summary.near++;
  }

  private flush(): void {
    const n = this.n;
    // The batch's kept documents in ascending order (index in the low word).
    const words = new Uint32Array(this.order.buffer, 0, 2 * n);
    for (let i = 0; i < n; i++) {
      words[2 * i] = i;
      words[2 * i + 1] = this.keeper[i]!;
    }
    this.order.subarray(0, n).sort();
    for (let j = 0; j < n; j++) {
      const i = words[2 * j]!;
      this.keptRecord[i] = this.kept.record(this.keeper[i]!);
      this.keptUnit[i] = this.units[this.kept.unitIndex]!;
    }
    const row = this.row;
    for (let i = 0; i < n; i++) {
      const record = this.docs.record(this.doc[i]!);
      const unit = this.units[this.docs.unitIndex]!;
      if (unit !== this.writerUnit) this.open(unit);
      row[0] = record;
      row[1] = this.kind[i]!;
      row[2] = this.keptUnit[i]!;
      row[3] = this.keptRecord[i]!;
      this.writer!.write(row);
      this.example(this.keeper[i]!, docId(row[2], row[3]), docId(unit, record), this.kind[i] === REMOVED_NEAR);
    }
    this.n = 0;
  }

  private open(unit: number): void {
    this.writer?.close();
    this.writer = new U32Writer(layout.removed(this.out, unit), REMOVAL_WORDS * 1024);
    this.writerUnit = unit;
    this.written.add(unit);
  }

  private example(key: number, kept: string, removed: string, near: boolean): void {
    const ex = this.examples;
    let e = ex.find((x) => x.key === key);
    if (!e) {
      if (ex.length === EXAMPLES && key > ex[EXAMPLES - 1]!.key) return;
      e = { key, kept, removed: [], near: false };
      const at = ex.findIndex((x) => x.key > key);
      ex.splice(at < 0 ? ex.length : at, 0, e);
      if (ex.length > EXAMPLES) ex.pop();
    }
    if (e.removed.length < EXAMPLE_MEMBERS) e.removed.push(removed);
    e.near ||= near;
  }

  /** Writes what is left, removes the removal files of units with none, and gives the summary. */
  finish(): DedupSummary {
    if (this.n > 0) this.flush();
    this.writer?.close();
    this.writer = undefined;
    for (const u of this.units) if (!this.written.has(u)) rmSync(layout.removed(this.out, u), { force: true });
    let clusters = 0;
    for (const c = this.keepers.sorted(true); c.next(); ) clusters++;
    this.summary.clusters = clusters;
    this.summary.examples = this.examples.map((e) => ({ kept: e.kept, removed: e.removed, kind: e.near ? 'near' : 'exact' }));
    return this.summary;
  }

  /** Closes the files (after an error the unfinished unit file is deleted). */
  close(): void {
    this.writer?.abort();
    this.docs.close();
    this.kept.close();
  }
}

/**
 * Runs deduplication over the signature files of the given units (ascending), writes each
 * unit's removal rows to layout.removed(out, unit) (sorted by record; no file for a unit
 * with none), and returns the summary.
 */
export function dedupUnits(out: string, units: number[], opts: DedupOptions): DedupSummary {
  const budget = opts.budgetRows ?? DEDUP_BUDGET_ROWS;
  if (!Number.isInteger(budget) || budget < 1) throw new UsageError(`dedup budget ${budget}: need a whole number of rows >= 1`);
  const words = sigWords(opts.bands);
  const starts = [0];
  for (const u of units) starts.push(starts[starts.length - 1]! + Math.floor(statSync(layout.signatures(out, u)).size / (words * 4)));
  const ords = new Ordinals(starts);
  if (ords.total > MAX_DEDUP_DOCS) throw new UsageError(`dedup: ${ords.total} documents in one run, at most ${MAX_DEDUP_DOCS}; split the input into several runs`);
  const spill = tmpName(join(layout.work(out), SPILL));
  const sortStats: SortStats = { peakRows: 0, runs: 0 };
  let seq = 0;
  const make = (name: string) => new Sorter64(budget, spill, `${name}-${seq++}`, sortStats);
  const groups = new Grouper(budget, spill);
  const rounds = { rounds: 0 };
  let removals: RemovalWriter | undefined;
  try {
    mkdirSync(spill, { recursive: true });
    // Exact: (document, first document with its hash), by document.
    const exact = make('exact');
    if (opts.exact) groups.run(signatureColumn(out, units, words, ords, 1), 'exact', (first, d) => exact.push(d, first));
    const exactFile = { path: join(spill, 'exact.u64'), rows: 0 };
    exactFile.rows = writeValues(exact.sorted(), exactFile.path);
    // Near: the pairs sharing a band key are edges; exact duplicates already removed take no part.
    const nearPath = join(spill, 'near.u64');
    let near: Cursor64 = NO_VALUES;
    if (opts.near) {
      const edges = make('edges');
      for (let b = 0; b < opts.bands; b++) {
        groups.run(signatureColumn(out, units, words, ords, 3 + 2 * b, exactFile), `band${b}`, (first, d) => edges.push(d, first));
      }
      groups.release();
      near = components(edges, make, rounds);
    }
    // (document, its cluster's smallest document) of every near duplicate, by document.
    writeValues(near, nearPath);
    // An exact duplicate's keeper: its first document's, which may itself be a near duplicate.
    const byFirst = make('byfirst');
    for (const c = new FileCursor(exactFile.path); c.next(); ) byFirst.push(c.lo, c.hi);
    const exactKept = make('exactkept');
    {
      const f = byFirst.sorted();
      const l = new FileCursor(nearPath);
      let more = l.next();
      while (f.next()) {
        while (more && l.hi < f.hi) more = l.next();
        exactKept.push(f.lo, more && l.hi === f.hi ? l.lo : f.hi);
      }
      l.close();
    }
    // Both kinds in document order (no document is both).
    removals = new RemovalWriter(out, units, ords, words, Math.max(1, budget >> 2), make('keepers'));
    const e = exactKept.sorted();
    const l = new FileCursor(nearPath);
    let moreE = e.next();
    let moreL = l.next();
    while (moreE || moreL) {
      if (moreL && (!moreE || l.hi < e.hi)) {
        removals.add(l.hi, l.lo, REMOVED_NEAR);
        moreL = l.next();
      } else {
        removals.add(e.hi, e.lo, REMOVED_EXACT);
        moreE = e.next();
      }
    }
    return removals.finish();
  } finally {
    removals?.close();
    rmSync(spill, { recursive: true, force: true });
    if (opts.stats) {
      Object.assign(opts.stats, {
        peakRows: Math.max(groups.stats.peakRows, sortStats.peakRows),
        partitions: groups.stats.partitions,
        runs: sortStats.runs,
        rounds: rounds.rounds,
      } satisfies DedupStats);
    }
  }
}
