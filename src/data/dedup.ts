// Step 2 of a run: deduplication across all units of all shards. Exact duplicates share
// the 64-bit hash of their normalised text; near duplicates share at least one MinHash
// band key (LSH). The exact hashes, then band by band the band keys, from every unit's
// signature file are sorted as 64-bit integers; values that occur more than once join
// their documents (exact: the first keeps; near: a union-find). Each cluster keeps its
// smallest document key (earliest file, then earliest record), so the result is the same
// whatever the number of shards or threads. Memory: 25 bytes per candidate document (its
// sort value, band key halves, document key, a skip flag) plus maps of the shared values
// and of the removed documents; the signature files stay on disk and are re-read per pass.

import { openSync, readSync, closeSync, fstatSync, statSync } from 'node:fs';
import { layout } from './layout.js';
import { sigWords } from './unit.js';
import { docId } from './doc.js';
import { InputError } from '../util/errors.js';

/** A removed document: its record, kind, and the kept document of its cluster. */
export type Removal = [record: number, kind: 'exact' | 'near', keptUnit: number, keptRecord: number];

export interface DedupResult {
  /** Removals per unit (unit index as string key), sorted by record. */
  removed: Record<string, Removal[]>;
  exact: number;
  near: number;
  clusters: number;
  /** Up to 10 clusters (kept id first) for the report. */
  examples: { kept: string; removed: string[]; kind: 'exact' | 'near' }[];
}

const KEY_SCALE = 2 ** 32;
const keyOf = (unit: number, record: number) => unit * KEY_SCALE + record;
const unitOf = (key: number) => Math.floor(key / KEY_SCALE);
const recordOf = (key: number) => key % KEY_SCALE;

/** Calls fn(block, at) for every signature row of a unit (the row is block[at, at + words)), reading in blocks. */
let block = new Uint32Array(0);

function eachRow(path: string, words: number, fn: (block: Uint32Array, at: number) => void): void {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const rowBytes = words * 4;
    if (size % rowBytes !== 0) throw new InputError(`signature file size ${size} is not a multiple of ${rowBytes}`, path);
    const rowsPerBlock = 4096;
    // One block buffer for every file and pass (each pass reads every file again).
    if (block.length !== rowsPerBlock * words) block = new Uint32Array(rowsPerBlock * words);
    const buf = block;
    const bytes = new Uint8Array(buf.buffer);
    for (let pos = 0; pos < size; ) {
      const want = Math.min(bytes.length, size - pos);
      let got = 0;
      while (got < want) got += readSync(fd, bytes, got, want - got, pos + got);
      for (let r = 0; r < want / rowBytes; r++) fn(buf, r * words);
      pos += want;
    }
  } finally {
    closeSync(fd);
  }
}

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

/** A 64-bit value occurring more than once, and the first document seen with it (-1: none yet). */
interface Shared {
  hi: number;
  lo: number;
  first: number;
}

/** The values that occur more than once in a sorted array, by a 53-bit digest (hi, 21 bits of lo). */
function sharedValues(sorted: BigUint64Array): Map<number, Shared[]> {
  const shared = new Map<number, Shared[]>();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] !== sorted[i - 1] || (i > 1 && sorted[i - 1] === sorted[i - 2])) continue;
    const h = Number(sorted[i]! >> 32n);
    const l = Number(sorted[i]! & 0xffffffffn);
    const d = h * 0x200000 + (l & 0x1fffff);
    const list = shared.get(d);
    if (list) list.push({ hi: h, lo: l, first: -1 });
    else shared.set(d, [{ hi: h, lo: l, first: -1 }]);
  }
  return shared;
}

function findShared(shared: Map<number, Shared[]>, hi: number, lo: number): Shared | undefined {
  const list = shared.get(hi * 0x200000 + (lo & 0x1fffff));
  if (!list) return undefined;
  for (const e of list) if (e.hi === hi && e.lo === lo) return e;
  return undefined;
}

/** Runs deduplication over the signature files of the given units (ascending). */
export function dedupUnits(out: string, units: number[], opts: { bands: number; exact: boolean; near: boolean }): DedupResult {
  const words = sigWords(opts.bands);
  // Removed documents: key -> the kept document's key (exact duplicates) or -(key + 1) (near).
  const removed = new Map<number, number>();
  // Rows of every unit (eachRow checks each file's size is whole rows).
  let total = 0;
  for (const u of units) total += Math.floor(statSync(layout.signatures(out, u)).size / (words * 4));
  // 64-bit values (lo, hi little-endian in one buffer), sorted natively to find the values
  // that occur more than once; reused by the exact pass and every band.
  const packed = new BigUint64Array(total);
  const halves = new Uint32Array(packed.buffer);
  const skip = new Uint8Array(total);
  if (opts.exact) {
    // Exact: the first document (smallest key: rows arrive in key order) with a hash keeps it.
    let n = 0;
    for (const u of units) {
      eachRow(layout.signatures(out, u), words, (row, at) => {
        halves[2 * n] = row[at + 2]!;
        halves[2 * n + 1] = row[at + 1]!;
        n++;
      });
    }
    const shared = sharedValues(packed.subarray(0, n).sort());
    if (shared.size > 0) {
      let ordinal = 0;
      for (const u of units) {
        eachRow(layout.signatures(out, u), words, (row, at) => {
          const r = ordinal++;
          const e = findShared(shared, row[at + 1]!, row[at + 2]!);
          if (!e) return;
          const key = keyOf(u, row[at]!);
          if (e.first < 0) e.first = key;
          else {
            removed.set(key, e.first);
            skip[r] = 1;
          }
        });
      }
    }
  }

  const uf = new UnionFind();
  if (opts.near) {
    const hi = new Uint32Array(total);
    const lo = new Uint32Array(total);
    const keys = new Float64Array(total);
    for (let b = 0; b < opts.bands; b++) {
      let n = 0;
      let ordinal = 0;
      for (const u of units) {
        eachRow(layout.signatures(out, u), words, (row, at) => {
          if (skip[ordinal++]) return;
          hi[n] = row[at + 3 + 2 * b]!;
          lo[n] = row[at + 4 + 2 * b]!;
          keys[n] = keyOf(u, row[at]!);
          n++;
        });
      }
      for (let i = 0; i < n; i++) {
        halves[2 * i] = lo[i]!;
        halves[2 * i + 1] = hi[i]!;
      }
      const shared = sharedValues(packed.subarray(0, n).sort());
      if (shared.size === 0) continue;
      for (let i = 0; i < n; i++) {
        const e = findShared(shared, hi[i]!, lo[i]!);
        if (!e) continue;
        if (e.first < 0) e.first = keys[i]!;
        else uf.union(e.first, keys[i]!);
      }
    }
  }
  for (const k of uf.keys()) {
    const r = uf.find(k);
    if (r !== k) removed.set(k, -r - 1);
  }
  // An exact duplicate of a document that is itself a near duplicate points at the cluster's keeper.
  if (opts.near) for (const [k, v] of removed) if (v >= 0) removed.set(k, uf.find(v));
  const keepOf = (v: number) => (v >= 0 ? v : -v - 1);

  const result: DedupResult = { removed: {}, exact: 0, near: 0, clusters: 0, examples: [] };
  const sorted = Float64Array.from(removed.keys()).sort();
  const roots = new Set<number>();
  for (const k of sorted) {
    const v = removed.get(k)!;
    const kind = v >= 0 ? 'exact' : 'near';
    const keep = keepOf(v);
    roots.add(keep);
    (result.removed[String(unitOf(k))] ??= []).push([recordOf(k), kind, unitOf(keep), recordOf(keep)]);
    if (kind === 'exact') result.exact++;
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
