// Kill-and-rerun: `anvil data prepare` is killed (SIGKILL) at several points of a run,
// then rerun to completion; every output file must be byte-identical to the one of an
// uninterrupted run, so no document is lost or duplicated. The uninterrupted run uses
// one thread and the interrupted ones two, which also shows that output does not depend
// on the thread count, nor on deduplication's memory budget (which makes it spill).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ANVIL, anvil } from './helpers/cli.js';
import { Rng, enDoc, zhDoc, perturb } from '../src/data/synth.js';
import { DEDUP_BYTES_PER_ROW } from '../src/data/dedup.js';

function tree(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else m.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return m;
}

function runUntilKilled(args: string[], afterMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ANVIL, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? `exit ${code}`);
    });
  });
}

test('a run killed at random points and rerun gives output identical to an uninterrupted run', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'anvil-data-kill-'));
  const IN = join(root, 'in');
  mkdirSync(IN);
  const r = new Rng(77);
  const kept: string[] = [];
  for (let f = 0; f < 8; f++) {
    const lines: string[] = [];
    for (let i = 0; i < 120; i++) {
      const text = i % 10 === 9 && kept.length ? perturb(r, r.pick(kept), 0.01) : i % 3 === 2 ? zhDoc(r) : enDoc(r);
      if (kept.length < 50) kept.push(text);
      lines.push(JSON.stringify({ text, url: `https://k.example/${f}/${i}` }));
    }
    if (f === 3) lines.push('{"broken');
    writeFileSync(join(IN, `part-${f}.jsonl${f % 2 ? '.gz' : ''}`), f % 2 ? gzipSync(lines.join('\n')) : lines.join('\n'));
  }
  const ref = join(root, 'ref');
  const t0 = Date.now();
  const done = anvil(['data', 'prepare', '--input', IN, '--out', ref, '--workers', '1', '--license', 'CC0-1.0']);
  assert.equal(done.code, 0, done.stderr);
  const wall = Date.now() - t0;

  const out = join(root, 'killed');
  // The interrupted runs also give deduplication a budget of 10 rows (28 bytes each), so
  // that its grouping and its sorters spill to disk: the same output, and the same run.json
  // (the budget does not change the output).
  const config = join(root, 'small-dedup.json');
  writeFileSync(config, JSON.stringify({ dedup: { memoryMB: (10 * DEDUP_BYTES_PER_ROW) / 2 ** 20 } }));
  const args = ['data', 'prepare', '--input', IN, '--out', out, '--workers', '2', '--license', 'CC0-1.0', '--config', config];
  const outcomes: string[] = [];
  for (const fraction of [0.15, 0.35, 0.55, 0.75, 0.9]) {
    // Random points, spread over the length of a run.
    outcomes.push(await runUntilKilled(args, Math.round(wall * (fraction + 0.1 * r.next()))));
  }
  const fin = anvil(args);
  assert.equal(fin.code, 0, fin.stderr);
  assert.ok(outcomes.includes('SIGKILL'), `no run was killed: ${outcomes.join(', ')}`);
  t.diagnostic(`uninterrupted run ${wall} ms; interrupted runs: ${outcomes.join(', ')}`);

  const a = tree(ref);
  const b = tree(out);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [k, v] of a) assert.ok(v.equals(b.get(k)!), `${k} differs after kill and rerun`);
  const rep = JSON.parse(a.get('report.json')!.toString()) as { documents: { read: number; kept: number; rejected: number } };
  assert.equal(rep.documents.read, 8 * 120 + 1);
  assert.equal(rep.documents.read, rep.documents.kept + rep.documents.rejected);
});
