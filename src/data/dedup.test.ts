// Deduplication with bounded memory: for any budget of rows, spilling or not, the result is
// the one the plain definition gives (exact: the first document with a hash keeps it; near:
// documents sharing a band key join one cluster kept by its smallest key); no more rows are
// held at once than the budget; no partition files stay behind, even those of a killed run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { dedupUnits, removalsOf, DEDUP_BUDGET_ROWS, type DedupOptions, type DedupStats, type DedupSummary, type Removal } from './dedup.js';

/** A summary with the removal files it wrote read back as tuples, by unit (what the comparisons below read). */
type TupleResult = DedupSummary & { removed: Record<string, Removal[]> };

function withRemovals(out: string, units: number, summary: DedupSummary): TupleResult {
  const removed: Record<string, Removal[]> = {};
  for (let u = 0; u < units; u++) {
    if (!existsSync(layout.removed(out, u))) continue;
    const b = readFileSync(layout.removed(out, u));
    removed[String(u)] = removalsOf(new Uint32Array(b.buffer, b.byteOffset, b.length / 4));
  }
  return { ...summary, removed };
}

const noStats = (): DedupStats => ({ peakRows: 0, partitions: 0, runs: 0, rounds: 0, buffers: 0 });
import { bitsAt } from './dedup-groups.js';
import { layout } from './layout.js';
import { U32Writer } from './write.js';
import { docId } from './doc.js';
import { Rng } from './synth.js';
import { UsageError } from '../util/errors.js';

/** A 64-bit value as its (hi, lo) uint32 halves. */
type Value = [hi: number, lo: number];
/** A signature row: record, exact hash, band keys. */
interface Row {
  record: number;
  exact: Value;
  bands: Value[];
}

function writeSignatures(out: string, units: Row[][]): void {
  units.forEach((rows, u) => {
    const w = new U32Writer(layout.signatures(out, u));
    for (const r of rows) w.write([r.record, ...r.exact, ...r.bands.flat()]);
    w.close();
  });
}

/** The definition, with none of the implementation's machinery: maps of values, a plain union-find. */
function definition(units: Row[][], opts: { exact: boolean; near: boolean }): Pick<TupleResult, 'removed' | 'exact' | 'near' | 'clusters'> {
  const docs = units.flatMap((rows, u) => rows.map((r) => ({ u, r })));
  const id = (v: Value) => `${v[0]}:${v[1]}`;
  const exactOf = new Map<number, number>(); // doc index -> first doc index with its hash
  if (opts.exact) {
    const first = new Map<string, number>();
    docs.forEach((d, i) => {
      const f = first.get(id(d.r.exact));
      if (f === undefined) first.set(id(d.r.exact), i);
      else exactOf.set(i, f);
    });
  }
  const parent = docs.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : find(parent[i]!));
  if (opts.near) {
    for (let b = 0; b < (docs[0]?.r.bands.length ?? 0); b++) {
      const first = new Map<string, number>();
      docs.forEach((d, i) => {
        if (exactOf.has(i)) return;
        const f = first.get(id(d.r.bands[b]!));
        if (f === undefined) return void first.set(id(d.r.bands[b]!), i);
        const [x, y] = [find(f), find(i)];
        parent[Math.max(x, y)] = Math.min(x, y);
      });
    }
  }
  const removed: TupleResult['removed'] = {};
  const kept = new Set<number>();
  let exact = 0;
  let near = 0;
  docs.forEach((d, i) => {
    const e = exactOf.get(i);
    const keep = e !== undefined ? find(e) : find(i);
    if (keep === i) return;
    kept.add(keep);
    if (e !== undefined) exact++;
    else near++;
    (removed[String(d.u)] ??= []).push([d.r.record, e !== undefined ? 'exact' : 'near', docs[keep]!.u, docs[keep]!.r.record]);
  });
  return { removed, exact, near, clusters: kept.size };
}

/** Values built to collide: a small shared pool (with neighbours differing only in low or top bits) and fresh random ones. */
function valuePool(r: Rng, size: number): Value[] {
  const rand = (): Value => [(r.next() * 2 ** 32) >>> 0, (r.next() * 2 ** 32) >>> 0];
  const pool: Value[] = [[0, 0], [0xffffffff, 0xffffffff]];
  while (pool.length < size) {
    const [hi, lo] = rand();
    pool.push([hi, lo], [hi, (lo ^ 1) >>> 0], [hi, (lo ^ 0x30000) >>> 0], [(hi ^ 0x80000000) >>> 0, lo]);
  }
  return pool;
}

function randomUnits(r: Rng, shape: { units: number; rows: number; minRows?: number; bands: number; share: number; pool: number }): Row[][] {
  const pool = valuePool(r, shape.pool);
  const value = (): Value => (r.next() < shape.share ? r.pick(pool) : [(r.next() * 2 ** 32) >>> 0, (r.next() * 2 ** 32) >>> 0]);
  return Array.from({ length: shape.units }, () => {
    let record = 0;
    return Array.from({ length: (shape.minRows ?? 0) + r.int(shape.rows - (shape.minRows ?? 0) + 1) }, () => {
      record += 1 + (r.next() < 0.3 ? r.int(5) : 0); // filtered documents leave gaps
      return { record: record - 1, exact: value(), bands: Array.from({ length: shape.bands }, value) };
    });
  });
}

/** A fresh OUT folder holding signature files of the given units. */
function fixture(units: Row[][]): string {
  const out = mkdtempSync(join(tmpdir(), 'anvil-dedup-'));
  writeSignatures(out, units);
  return out;
}

/** Files under OUT/work that are neither signature files nor removal files. */
function leftovers(out: string): string[] {
  return readdirSync(layout.work(out)).filter((n) => !n.endsWith('.sig') && !n.endsWith('.removed'));
}

function run(out: string, units: Row[][], opts: Omit<DedupOptions, 'bands'>) {
  const stats = noStats();
  const bands = units.find((rows) => rows.length > 0)?.[0]!.bands.length ?? 3;
  const result = withRemovals(out, units.length, dedupUnits(out, units.map((_, u) => u), { bands, ...opts, stats }));
  return { result, stats };
}

test('planted duplicates across units: every budget gives the default result, which is the definition', () => {
  const r = new Rng(5);
  const units = randomUnits(r, { units: 5, rows: 60, minRows: 20, bands: 3, share: 0.25, pool: 12 });
  // A large exact group and a large near cluster: more rows with one value than any small budget.
  for (let u = 0; u < 5; u++) units[u]![3]!.exact = [7, 7];
  for (let u = 0; u < 5; u++) for (let i = 10; i < 14; i++) units[u]![i]!.bands[1] = [9, 9];
  const out = fixture(units);
  try {
    for (const flags of [{ exact: true, near: true }, { exact: true, near: false }, { exact: false, near: true }]) {
      const base = run(out, units, flags);
      assert.equal(base.stats.partitions, 0);
      const { examples: _, ...rest } = base.result;
      assert.deepEqual(rest, definition(units, flags));
      assert.ok((!flags.exact || base.result.exact > 0) && (!flags.near || base.result.near > 0), 'the fixture plants duplicates');
      for (const budget of [1, 2, 3, 5, 17, 64, 250]) {
        const small = run(out, units, { ...flags, budgetRows: budget });
        assert.deepEqual(small.result, base.result, `budget ${budget}`);
        assert.ok(small.stats.peakRows <= budget, `budget ${budget}: held ${small.stats.peakRows} rows`);
        assert.ok(small.stats.buffers <= 3, `budget ${budget}: ${small.stats.buffers} buffers`);
        const rows = units.flat().length;
        assert.equal(small.stats.partitions > 0, budget < rows, `budget ${budget} spills, ${rows} rows`);
        assert.deepEqual(leftovers(out), []);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('report examples: the ten smallest clusters, kept id first, are the same when spilling', () => {
  const r = new Rng(6);
  const units = randomUnits(r, { units: 3, rows: 80, minRows: 60, bands: 4, share: 0.1, pool: 200 });
  // Twelve planted pairs besides the chance ones: more clusters than the report shows.
  for (let i = 0; i < 12; i++) units[2]![i]!.exact = units[1]![2 * i]!.exact;
  const out = fixture(units);
  try {
    const base = run(out, units, { exact: true, near: true }).result;
    assert.equal(base.examples.length, 10);
    assert.equal(base.examples[0]!.kept, docId(...firstKept(base)));
    assert.deepEqual(run(out, units, { exact: true, near: true, budgetRows: 4 }).result.examples, base.examples);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** The smallest kept document of a result, as (unit, record). */
function firstKept(res: TupleResult): [number, number] {
  const kept = Object.values(res.removed).flat().map(([, , u, rec]) => [u, rec] as [number, number]);
  return kept.sort((a, b) => a[0] - b[0] || a[1] - b[1])[0]!;
}

test('random fixtures and budgets (property): same result as the default, peak rows within the budget', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 3 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 50 }),
      (seed, nUnits, rows, bands, share, budget) => {
        const units = randomUnits(new Rng(seed), { units: nUnits, rows, bands, share, pool: 6 });
        const out = fixture(units);
        try {
          const opts = { bands, exact: true, near: true };
          const ids = units.map((_, u) => u);
          const base = withRemovals(out, nUnits, dedupUnits(out, ids, opts));
          const stats = noStats();
          assert.deepEqual(withRemovals(out, nUnits, dedupUnits(out, ids, { ...opts, budgetRows: budget, stats })), base);
          assert.ok(stats.peakRows <= budget && stats.buffers <= 3);
          assert.deepEqual(leftovers(out), []);
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('no documents, or all documents one value: nothing held beyond the budget, whatever the duplicates', () => {
  const empty = fixture([[], []]);
  try {
    assert.deepEqual(run(empty, [[], []], { exact: true, near: true, budgetRows: 1 }).result, { removed: {}, exact: 0, near: 0, clusters: 0, examples: [] });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const same: Row[][] = [0, 1].map(() => Array.from({ length: 30 }, (_, i) => ({ record: i, exact: [1, 2] as Value, bands: [[3, 4] as Value] })));
  const out = fixture(same);
  try {
    const { result, stats } = run(out, same, { exact: true, near: true, budgetRows: 2 });
    assert.equal(result.exact, 59);
    // 59 duplicate pairs through sorters that hold two values: they spill to runs.
    assert.ok(stats.peakRows <= 2 && stats.buffers <= 3);
    assert.ok(stats.runs > 0);
    assert.deepEqual(result, run(out, same, { exact: true, near: true }).result);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a rerun after a kill: a stale spill folder is left alone (another shard may be using it), the result is unchanged', () => {
  const units = randomUnits(new Rng(8), { units: 3, rows: 30, bands: 2, share: 0.3, pool: 6 });
  const out = fixture(units);
  try {
    const stale = join(layout.work(out), 'dedup-spill.tmp-99999-0-deadbeef');
    mkdirSync(stale);
    writeFileSync(join(stale, 'exact-3.rows'), new Uint8Array(16));
    const { result } = run(out, units, { exact: true, near: true, budgetRows: 3 });
    // The pipeline deletes OUT/work, stale folders included, when the run completes.
    assert.deepEqual(leftovers(out), ['dedup-spill.tmp-99999-0-deadbeef']);
    assert.deepEqual(result, run(out, units, { exact: true, near: true }).result);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the default budget holds 64 MiB of rows (three buffers of 64-bit values); a budget below one row is refused', () => {
  assert.equal(DEDUP_BUDGET_ROWS, Math.floor(2 ** 26 / 24));
  const out = fixture([[]]);
  try {
    assert.throws(() => dedupUnits(out, [0], { bands: 3, exact: true, near: true, budgetRows: 0 }), UsageError);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bitsAt(hi, lo, from, k) is bits [from, from + k) of the 64-bit value, counted from the top', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 63 }), (v, k, at) => {
      const from = Math.min(at, 64 - k);
      const want = Number((v >> BigInt(64 - from - k)) & ((1n << BigInt(k)) - 1n));
      assert.equal(bitsAt(Number(v >> 32n), Number(v & 0xffffffffn), from, k), want);
    }),
    { numRuns: 2000 },
  );
});

test('a near-duplicate chain longer than the budget is one cluster; removal files of units left with none are deleted', () => {
  // Document i shares band 0 with i + 1 and band 1 with i + 2 (alternately), so that the
  // cluster is only found through many links; its keeper is the first document.
  const n = 200;
  const units: Row[][] = [0, 1].map((u) =>
    Array.from({ length: n / 2 }, (_, i) => {
      const d = u * (n / 2) + i;
      return { record: 3 * i, exact: [d, 1] as Value, bands: [[Math.floor(d / 2), 5] as Value, [Math.floor((d + 1) / 2), 6] as Value, [d, 7] as Value] };
    }),
  );
  const out = fixture([...units, []]);
  try {
    writeFileSync(layout.removed(out, 2), new Uint8Array(16));
    const small = run(out, [...units, []], { exact: true, near: true, budgetRows: 8 });
    assert.equal(small.result.near, n - 1);
    assert.equal(small.result.clusters, 1);
    assert.ok(small.stats.rounds > 1 && small.stats.runs > 0 && small.stats.peakRows <= 8 && small.stats.buffers <= 3);
    assert.deepEqual(small.result.removed['1']!.map((r) => r.slice(2)), Array.from({ length: n / 2 }, () => [0, 0]));
    assert.equal(existsSync(layout.removed(out, 2)), false);
    const { examples: _, ...rest } = small.result;
    assert.deepEqual(rest, definition([...units, []], { exact: true, near: true }));
    assert.deepEqual(small.result, run(out, [...units, []], { exact: true, near: true }).result);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
