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
// order. Memory is a budget of rows: three buffers of that many 64-bit values, shared by
// the grouper and the sorters (DEDUP_BYTES_PER_ROW); the files under OUT/work/ take the
// rest. The signature files stay on disk.

import { closeSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { layout } from './layout.js';
import { sigWords } from './unit.js';
import { docId } from './doc.js';
import { eachRow } from './dedup-files.js';
import { BYTES_PER_ROW, Grouper, type RowSource } from './dedup-groups.js';
import { BufferPool, FileCursor, NO_VALUES, Sorter64, writeValues, type Cursor64, type SortStats } from './sort64.js';
import { components } from './components.js';
import { U32Writer } from './write.js';
import { tmpName } from '../util/atomic-file.js';
import { AnvilError, UsageError } from '../util/errors.js';

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
  /** Most rows (grouper rows, sorter values) one grouper or sorter holds at once (default DEDUP_BUDGET_ROWS); more spill to disk. */
  budgetRows?: number;
  /** Filled in with what was held and written (see DedupStats). */
  stats?: DedupStats;
}

/** What a dedup run held and wrote. */
export interface DedupStats {
  /** Most rows (grouper rows or sorter values) one grouper or sorter held in memory at once. */
  peakRows: number;
  /** Partition files of the grouping passes. */
  partitions: number;
  /** Run files of the sorters. */
  runs: number;
  /** Rounds of the connected-components step (0: no near-duplicate pairs). */
  rounds: number;
  /** Buffers of `budgetRows` 64-bit values allocated (the most in use at once; at most 3). */
  buffers: number;
}

/**
 * Bytes of memory per row of the budget: three buffers of 64-bit values, which is what the
 * band passes hold (a grouper row, 16, and a value of the sorter of near-duplicate pairs,
 * 8); the later steps hold two sorters (16), reusing the same buffers.
 */
export const DEDUP_BYTES_PER_ROW = BYTES_PER_ROW + 8;

/** Default memory budget: the rows that fit in 64 MiB (about 2.8 million). */
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
      while (got < bytes.length) {
        const n = readSync(this.fd, bytes, got, bytes.length - got, row * this.words * 4 + got);
        if (n === 0) throw new AnvilError(`dedup: ${layout.signatures(this.out, this.units[i]!)} ended early (did it change during dedup?)`);
        got += n;
      }
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

/** Every removal in document order: the near and exact value files (document, keeper) merged; no document is in both. */
class Removals {
  private readonly near: FileCursor;
  private readonly exact: FileCursor;
  private moreNear: boolean;
  private moreExact: boolean;
  doc = 0;
  keeper = 0;
  kind = REMOVED_EXACT;

  constructor(nearPath: string, exactPath: string) {
    this.near = new FileCursor(nearPath);
    try {
      this.exact = new FileCursor(exactPath);
    } catch (e) {
      this.near.close();
      throw e;
    }
    this.moreNear = this.near.next();
    this.moreExact = this.exact.next();
  }

  next(): boolean {
    const take = this.moreNear && (!this.moreExact || this.near.hi < this.exact.hi) ? this.near : this.moreExact ? this.exact : undefined;
    if (!take) return false;
    this.doc = take.hi;
    this.keeper = take.lo;
    if (take === this.near) {
      this.kind = REMOVED_NEAR;
      this.moreNear = this.near.next();
    } else {
      this.kind = REMOVED_EXACT;
      this.moreExact = this.exact.next();
    }
    return true;
  }

  close(): void {
    this.near.close();
    this.exact.close();
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
  // At most three buffers of the pool are in use at once: the grouper's two and the edges'
  // sorter during the band passes; one sorter read while the next fills after them.
  const pool = new BufferPool(budget);
  const make = (name: string) => new Sorter64(budget, spill, `${name}-${seq++}`, sortStats, pool);
  const groups = new Grouper(budget, spill, pool);
  const rounds = { rounds: 0 };
  const open: { close(): void }[] = []; // closed at the end, after an error too
  const opened = <T extends { close(): void }>(c: T): T => (open.push(c), c);
  try {
    mkdirSync(spill, { recursive: true });
    // Exact: (document, first document with its hash), by document.
    const exact = make('exact');
    if (opts.exact) groups.run(signatureColumn(out, units, words, ords, 1), 'exact', (first, d) => exact.push(d, first));
    const exactFile = { path: join(spill, 'exact.u64'), rows: 0 };
    exactFile.rows = writeValues(opened(exact.sorted()), exactFile.path);
    // Near: the pairs sharing a band key are edges; exact duplicates already removed take no part.
    let near: Cursor64 = NO_VALUES;
    if (opts.near) {
      const edges = make('edges');
      for (let b = 0; b < opts.bands; b++) {
        groups.run(signatureColumn(out, units, words, ords, 3 + 2 * b, exactFile), `band${b}`, (first, d) => edges.push(d, first));
      }
      groups.release();
      near = opened(components(edges, make, rounds));
    }
    groups.release();
    // (document, its cluster's smallest document) of every near duplicate, by document.
    const nearPath = join(spill, 'near.u64');
    writeValues(near, nearPath);
    // An exact duplicate's keeper: its first document's, which may itself be a near duplicate.
    const byFirst = make('byfirst');
    for (const c = opened(new FileCursor(exactFile.path)); c.next(); ) byFirst.push(c.lo, c.hi);
    const exactKept = make('exactkept');
    {
      const f = opened(byFirst.sorted());
      const l = opened(new FileCursor(nearPath));
      let more = l.next();
      while (f.next()) {
        while (more && l.hi < f.hi) more = l.next();
        exactKept.push(f.lo, more && l.hi === f.hi ? l.lo : f.hi);
      }
    }
    const exactPath = join(spill, 'exact-kept.u64');
    writeValues(opened(exactKept.sorted()), exactPath);

    // Every removal as (keeper, document): in keeper order the kept documents' records are
    // read in one ascending pass, the clusters counted, and the first ten (the smallest
    // keepers) with their first members are the report's examples.
    const byKeeper = make('bykeeper');
    for (const r = opened(new Removals(nearPath, exactPath)); r.next(); ) byKeeper.push(r.keeper, r.doc);
    const keptRecords = make('keptrecords'); // (document, its keeper's record)
    const examples: { keeper: number; members: number[] }[] = [];
    let clusters = 0;
    const records = opened(new RecordReader(out, units, ords, words));
    {
      let keeper = -1;
      let record = 0;
      for (const c = opened(byKeeper.sorted()); c.next(); ) {
        if (c.hi !== keeper) {
          keeper = c.hi;
          record = records.record(keeper);
          clusters++;
          if (examples.length < EXAMPLES) examples.push({ keeper, members: [] });
        }
        const ex = examples[examples.length - 1]!;
        if (ex.keeper === keeper && ex.members.length < EXAMPLE_MEMBERS) ex.members.push(c.lo);
        keptRecords.push(c.lo, record);
      }
    }

    // The removal rows in document order, one file per unit.
    const summary: DedupSummary = { exact: 0, near: 0, clusters, examples: [] };
    const written = new Set<number>();
    {
      const kept = opened(keptRecords.sorted());
      const docs = opened(new RecordReader(out, units, ords, words));
      const row = new Uint32Array(REMOVAL_WORDS);
      let writer: U32Writer | undefined;
      try {
        for (const r = opened(new Removals(nearPath, exactPath)); r.next(); ) {
          if (!kept.next() || kept.hi !== r.doc) throw new AnvilError(`dedup: no kept record for document ${r.doc} (a bug)`);
          row[0] = docs.record(r.doc);
          const unit = units[docs.unitIndex]!;
          if (!written.has(unit)) {
            writer?.close();
            writer = new U32Writer(layout.removed(out, unit), REMOVAL_WORDS * 1024);
            written.add(unit);
          }
          row[1] = r.kind;
          row[2] = units[ords.unitAt(r.keeper)]!;
          row[3] = kept.lo;
          writer!.write(row);
          if (r.kind === REMOVED_EXACT) summary.exact++;
          else summary.near++;
        }
        if (kept.next()) throw new AnvilError(`dedup: a kept record for document ${kept.hi}, which was not removed (a bug)`);
        writer?.close();
      } catch (e) {
        writer?.abort();
        throw e;
      }
    }
    for (const u of units) if (!written.has(u)) rmSync(layout.removed(out, u), { force: true });

    // The examples' ids; a cluster is 'near' when its keeper kept near duplicates.
    const nearKept = new Set<number>();
    const shown = new Set(examples.map((e) => e.keeper));
    for (const c = opened(new FileCursor(nearPath)); c.next(); ) if (shown.has(c.lo)) nearKept.add(c.lo);
    const id = (d: number) => docId(units[ords.unitAt(d)]!, records.record(d));
    summary.examples = examples.map((e) => ({ kept: id(e.keeper), removed: e.members.map(id), kind: nearKept.has(e.keeper) ? 'near' : 'exact' }));
    return summary;
  } finally {
    for (const c of open) c.close();
    rmSync(spill, { recursive: true, force: true });
    if (opts.stats) {
      Object.assign(opts.stats, {
        peakRows: Math.max(groups.stats.peakRows, sortStats.peakRows),
        partitions: groups.stats.partitions,
        runs: sortStats.runs,
        rounds: rounds.rounds,
        buffers: pool.allocated,
      } satisfies DedupStats);
    }
  }
}
