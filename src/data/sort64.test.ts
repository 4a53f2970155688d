// The external sorter against a plain sort of BigInts, and the connected components against
// a union-find, for budgets from one value (every push spills, runs merged in several
// levels) to all of them; no run files stay behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BufferPool, Sorter64, writeValues, FileCursor, type Cursor64, type SortStats } from './sort64.js';
import { components } from './components.js';
import { Rng } from './synth.js';

function drain(c: Cursor64): bigint[] {
  const out: bigint[] = [];
  while (c.next()) out.push((BigInt(c.hi) << 32n) | BigInt(c.lo));
  return out;
}

const halves = (v: bigint): [number, number] => [Number(v >> 32n), Number(v & 0xffffffffn)];

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-sort64-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sortWith(values: bigint[], budget: number, unique: boolean, dir: string, stats: SortStats): bigint[] {
  const s = new Sorter64(budget, dir, 'v', stats);
  for (const v of values) s.push(...halves(v));
  try {
    return drain(s.sorted(unique));
  } finally {
    s.dispose();
  }
}

test('sorter: ascending (hi, lo) order for any budget, with and without repeats; nothing left on disk', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 2n ** 32n, 2n ** 32n - 1n, 2n ** 64n - 1n, 2n ** 63n)), { maxLength: 300 }),
      fc.integer({ min: 1, max: 400 }),
      fc.boolean(),
      (values, budget, unique) =>
        withDir((dir) => {
          const stats = { peakRows: 0, runs: 0 };
          const want = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          assert.deepEqual(sortWith(values, budget, unique, dir, stats), unique ? [...new Set(want)] : want);
          assert.ok(stats.peakRows <= budget);
          assert.equal(stats.runs > 0, values.length > budget);
          assert.deepEqual(readdirSync(dir), []);
        }),
    ),
    { numRuns: 300 },
  );
});

test('sorter: thousands of runs are merged in levels, 64 at a time', () => {
  withDir((dir) => {
    const r = new Rng(3);
    const values = Array.from({ length: 5000 }, () => BigInt(Math.floor(r.next() * 2 ** 20)) << 30n);
    const stats = { peakRows: 0, runs: 0 };
    const got = sortWith(values, 1, false, dir, stats);
    assert.deepEqual(got, [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // 5000 runs of one value, then 79 merged runs, then 2: every level written.
    assert.equal(stats.runs, 5000 + 79 + 2);
  });
});

test('sorter: a cursor closed early deletes the runs; no push after a read, spilled or not', () => {
  withDir((dir) => {
    for (const budget of [3, 100]) {
      const s = new Sorter64(budget, dir, 'c');
      for (let i = 40; i > 0; i--) s.push(0, i);
      const c = s.sorted();
      assert.ok(c.next() && c.next());
      assert.deepEqual([c.hi, c.lo], [0, 2]);
      assert.equal(readdirSync(dir).length > 0, budget < 40);
      c.close();
      assert.deepEqual(readdirSync(dir), []);
      assert.throws(() => s.push(1, 1), /push after read/);
    }
  });
});

test('pool: a chain of sorters, each read while the next fills, takes two buffers in all (one when they spill)', () => {
  withDir((dir) => {
    for (const budget of [7, 64]) {
      const pool = new BufferPool(budget);
      let s = new Sorter64(budget, dir, 's0', undefined, pool);
      for (let i = 0; i < 50; i++) s.push(0, (i * 37) % 50);
      for (let k = 1; k <= 5; k++) {
        const next = new Sorter64(budget, dir, `s${k}`, undefined, pool);
        for (const c = s.sorted(); c.next(); ) next.push(0, c.lo + 1);
        s = next;
      }
      assert.deepEqual(drain(s.sorted()), Array.from({ length: 50 }, (_, i) => BigInt(i + 5)));
      // A spilled sorter gives its buffer back before it is read: then one buffer serves all.
      assert.equal(pool.allocated, budget < 50 ? 1 : 2, `budget ${budget}`);
      assert.throws(() => new Sorter64(budget + 1, dir, 'x', undefined, pool), /pool buffers/);
    }
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('sorter: a value file written and read back; a sorter is read once', () => {
  withDir((dir) => {
    const s = new Sorter64(4, dir, 'w');
    for (const v of [5n, 2n ** 40n, 3n, 5n, 2n ** 64n - 1n]) s.push(...halves(v));
    const path = join(dir, 'values.u64');
    assert.equal(writeValues(s.sorted(true), path), 4);
    assert.throws(() => s.sorted(), /read twice/);
    s.dispose();
    assert.deepEqual(drain(new FileCursor(path)), [3n, 5n, 2n ** 40n, 2n ** 64n - 1n]);
    rmSync(path);
    assert.deepEqual(readdirSync(dir), []);
  });
});

/** The smallest node of each node's component, by a plain union-find. */
function roots(edges: [number, number][]): Map<number, number> {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    while (parent.get(x)! !== x) x = parent.get(x)!;
    return x;
  };
  for (const [a, b] of edges) {
    for (const x of [a, b]) if (!parent.has(x)) parent.set(x, x);
    const [ra, rb] = [find(a), find(b)];
    parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
  return new Map([...parent.keys()].map((x) => [x, find(x)]));
}

function componentsOf(edges: [number, number][], budget: number, dir: string) {
  const stats: SortStats = { peakRows: 0, runs: 0 };
  let seq = 0;
  const make = (name: string) => new Sorter64(budget, dir, `${name}-${seq++}`, stats);
  const input = make('edges');
  for (const [a, b] of edges) input.push(a, b);
  const rounds = { rounds: 0 };
  const got = drain(components(input, make, rounds)).map((v) => halves(v));
  return { got, stats, rounds: rounds.rounds };
}

/** What components() must give: (node, root) for every non-root node, in node order. */
function expected(edges: [number, number][]): [number, number][] {
  return [...roots(edges)].filter(([x, r]) => x !== r).sort((a, b) => a[0] - b[0]);
}

test('components: random graphs, any budget, match a union-find', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 })), { maxLength: 120 }),
      fc.integer({ min: 1, max: 300 }),
      fc.constantFrom(0, 2 ** 32 - 61, 1000),
      (pairs, budget, offset) =>
        withDir((dir) => {
          const edges = pairs.filter(([a, b]) => a !== b).map(([a, b]) => [a + offset, b + offset] as [number, number]);
          const { got, stats } = componentsOf(edges, budget, dir);
          assert.deepEqual(got, expected(edges));
          assert.ok(stats.peakRows <= budget);
          assert.deepEqual(readdirSync(dir), []);
        }),
    ),
    { numRuns: 300 },
  );
});

test('components: long paths and cycles with shuffled labels, stars and cliques converge in few rounds', () => {
  withDir((dir) => {
    const r = new Rng(11);
    const shuffled = (n: number) => {
      const a = Array.from({ length: n }, (_, i) => i * 7 + 3);
      for (let i = n - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    };
    const graphs: [string, [number, number][]][] = [];
    const p = shuffled(3000);
    graphs.push(['shuffled path', p.slice(1).map((x, i) => [p[i]!, x])]);
    graphs.push(['sorted path', Array.from({ length: 3000 }, (_, i) => [i + 1, i] as [number, number])]);
    graphs.push(['descending path', Array.from({ length: 3000 }, (_, i) => [3000 - i, 2999 - i] as [number, number])]);
    const c = shuffled(2000);
    graphs.push(['cycle', c.map((x, i) => [x, c[(i + 1) % c.length]!])]);
    graphs.push(['star on its largest node', Array.from({ length: 500 }, (_, i) => [1000, i] as [number, number])]);
    const k = shuffled(40);
    graphs.push(['clique', k.flatMap((a, i) => k.slice(i + 1).map((b) => [a, b] as [number, number]))]);
    const forest = shuffled(4000);
    graphs.push(['random forest', forest.slice(1).map((x, i) => [x, forest[r.int(i + 1)]!] as [number, number])]);
    for (const [name, edges] of graphs) {
      for (const budget of [500, 100000]) {
        const { got, rounds } = componentsOf(edges, budget, dir);
        assert.deepEqual(got, expected(edges), `${name}, budget ${budget}`);
        // O(log^2 n): 3000 nodes need far fewer than 3000 rounds.
        assert.ok(rounds <= 4 * Math.log2(edges.length + 2) ** 2, `${name}: ${rounds} rounds`);
      }
    }
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(existsSync(dir), true);
  });
});
