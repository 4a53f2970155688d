// Step 2 of a run: deduplication across all units of all shards. Exact duplicates share
// the 64-bit hash of their normalised text; near duplicates share at least one MinHash
// band key (LSH). One pass for the exact hashes, then one per band, reads every unit's
// signature file and finds the values that occur more than once (dedup-groups.ts); their
// documents join (exact: the first keeps; near: a union-find). Each cluster keeps its
// smallest document key (earliest file, then earliest record), so the result is the same
// whatever the number of shards or threads, and whatever the memory budget.
// Memory: at most `budgetRows` rows (20 bytes each) are held at once, whatever the number
// of documents (above it, a pass spills partitions to a folder under OUT/work/), plus what
// is proportional to the duplicates found: the removed documents (exact and near), the
// union-find over near duplicates, and the result (16-byte rows): about 130 bytes per
// removed document in all, measured (datatrove's clustering step also holds its union-find
// in memory). The signature files stay on disk.

import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { layout } from './layout.js';
import { sigWords } from './unit.js';
import { docId } from './doc.js';
import { eachRow } from './dedup-files.js';
import { BYTES_PER_ROW, Grouper, type GroupStats, type RowSource } from './dedup-groups.js';
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

export interface DedupResult extends DedupSummary {
  /** Removal rows per unit (unit index as string key), sorted by record. */
  removed: Record<string, Uint32Array>;
}

/** A unit's removal rows as tuples. */
export function removalsOf(rows: Uint32Array): Removal[] {
  const out: Removal[] = [];
  for (let i = 0; i + REMOVAL_WORDS <= rows.length; i += REMOVAL_WORDS) {
    out.push([rows[i]!, rows[i + 1] === REMOVED_EXACT ? 'exact' : 'near', rows[i + 2]!, rows[i + 3]!]);
  }
  return out;
}

export interface DedupOptions {
  bands: number;
  exact: boolean;
  near: boolean;
  /** Most signature rows held in memory at once (default DEDUP_BUDGET_ROWS); more spill to disk. */
  budgetRows?: number;
  /** Filled in with the most rows held at once and the number of partition files written. */
  stats?: GroupStats;
}

/** Default memory budget: the rows that fit in 64 MiB (about 3.4 million). */
export const DEDUP_BUDGET_ROWS = Math.floor((64 * 2 ** 20) / BYTES_PER_ROW);

const KEY_SCALE = 2 ** 32;
const keyOf = (unit: number, record: number) => unit * KEY_SCALE + record;
const unitOf = (key: number) => Math.floor(key / KEY_SCALE);
const recordOf = (key: number) => key % KEY_SCALE;

class UnionFind {
  private parent = new Map<number, number>();
  find(x: number): number {
    let r = x;
    for (let p = this.parent.get(r); p !== undefined && p !== r; p = this.parent.get(r)) r = p;
    // Path compression.
    for (let y = x; y !== r; ) {
      const p = this.parent.get(y)!;
      this.parent.set(y, r);
      y = p;
    }
    return r;
  }
  /** Joins two sets; the smaller key becomes the root. */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    if (!this.parent.has(ra)) this.parent.set(ra, ra);
    if (!this.parent.has(rb)) this.parent.set(rb, rb);
    if (ra < rb) this.parent.set(rb, ra);
    else this.parent.set(ra, rb);
  }
  keys(): IterableIterator<number> {
    return this.parent.keys();
  }
}

/**
 * One column of the signature files (the value in words col, col + 1 of each row), in key
 * order, leaving out the documents in `skip` (ascending keys).
 */
function signatureColumn(out: string, units: number[], words: number, total: number, col: number, skip: Float64Array): RowSource {
  return {
    rows: total - skip.length,
    each(fn) {
      // Rows and skip are both in key order: one cursor walks the skipped keys.
      let s = 0;
      for (const u of units) {
        eachRow(layout.signatures(out, u), words, (row, at) => {
          const key = keyOf(u, row[at]!);
          while (s < skip.length && skip[s]! < key) s++;
          if (s < skip.length && skip[s] === key) return;
          fn(row[at + col]!, row[at + col + 1]!, key);
        });
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

/** Runs deduplication over the signature files of the given units (ascending). */
export function dedupUnits(out: string, units: number[], opts: DedupOptions): DedupResult {
  const budget = opts.budgetRows ?? DEDUP_BUDGET_ROWS;
  if (!Number.isInteger(budget) || budget < 1) throw new UsageError(`dedup budget ${budget}: need a whole number of rows >= 1`);
  const words = sigWords(opts.bands);
  // Removed documents: key -> the kept document's key (exact duplicates) or -(key + 1) (near).
  const removed = new Map<number, number>();
  // Rows of every unit (eachRow checks each file's size is whole rows).
  let total = 0;
  for (const u of units) total += Math.floor(statSync(layout.signatures(out, u)).size / (words * 4));
  const work = layout.work(out);
  const spill = tmpName(join(work, SPILL));
  const groups = new Grouper(budget, spill);
  const uf = new UnionFind();
  try {
    // Exact: the first document (smallest key) with a hash keeps it.
    if (opts.exact) groups.run(signatureColumn(out, units, words, total, 1, new Float64Array(0)), 'exact', (first, key) => removed.set(key, first));
    if (opts.near) {
      // Exact duplicates already removed take no part in near deduplication.
      const skip = Float64Array.from(removed.keys()).sort();
      for (let b = 0; b < opts.bands; b++) {
        groups.run(signatureColumn(out, units, words, total, 3 + 2 * b, skip), `band${b}`, (first, key) => uf.union(first, key));
      }
    }
  } finally {
    rmSync(spill, { recursive: true, force: true });
  }
  if (opts.stats) Object.assign(opts.stats, groups.stats);
  for (const k of uf.keys()) {
    const r = uf.find(k);
    if (r !== k) removed.set(k, -r - 1);
  }
  // An exact duplicate of a document that is itself a near duplicate points at the cluster's keeper.
  if (opts.near) for (const [k, v] of removed) if (v >= 0) removed.set(k, uf.find(v));
  const keepOf = (v: number) => (v >= 0 ? v : -v - 1);

  const result: DedupResult = { removed: {}, exact: 0, near: 0, clusters: 0, examples: [] };
  const sorted = Float64Array.from(removed.keys()).sort();
  // Rows per unit: count, then fill (keys are sorted, so each unit's rows come in record order).
  const perUnit = new Map<number, number>();
  for (const k of sorted) perUnit.set(unitOf(k), (perUnit.get(unitOf(k)) ?? 0) + 1);
  for (const [u, n] of perUnit) result.removed[String(u)] = new Uint32Array(n * REMOVAL_WORDS);
  const roots = new Set<number>();
  let unit = -1;
  let rows: Uint32Array = new Uint32Array(0);
  let at = 0;
  for (const k of sorted) {
    const v = removed.get(k)!;
    const keep = keepOf(v);
    roots.add(keep);
    if (unitOf(k) !== unit) {
      unit = unitOf(k);
      rows = result.removed[String(unit)]!;
      at = 0;
    }
    rows[at] = recordOf(k);
    rows[at + 1] = v >= 0 ? REMOVED_EXACT : REMOVED_NEAR;
    rows[at + 2] = unitOf(keep);
    rows[at + 3] = recordOf(keep);
    at += REMOVAL_WORDS;
    if (v >= 0) result.exact++;
    else result.near++;
  }
  result.clusters = roots.size;
  // Examples: the ten clusters with the smallest kept keys, members in key order.
  for (const r of Float64Array.from(roots).sort().subarray(0, 10)) {
    const members = sorted.filter((k) => keepOf(removed.get(k)!) === r);
    result.examples.push({
      kept: docId(unitOf(r), recordOf(r)),
      removed: [...members.subarray(0, 20)].map((k) => docId(unitOf(k), recordOf(k))),
      kind: [...members].some((k) => removed.get(k)! < 0) ? 'near' : 'exact',
    });
  }
  return result;
}
