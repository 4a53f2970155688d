// `prepare`: the whole run. Step 1 (filter) runs per unit on this shard's files; step 2
// (dedup) and step 3 (finalize) run once every unit of every shard has its marker, in
// whichever process sees that first (a rerun of any shard finishes a run). Each step
// skips what its markers say is done, so a run killed at any moment and rerun produces
// the same files.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { expandInputs, sourceMatches } from './files.js';
import { layout } from './layout.js';
import { Pool } from './pool.js';
import type { PipelineConfig } from './config.js';
import type { FilterMarker } from './unit.js';
import { dedupUnits, DEDUP_BYTES_PER_ROW, type DedupSummary } from './dedup.js';
import { writeFileAtomic, removeStaleTemps } from '../util/atomic-file.js';
import { join } from 'node:path';
import { writeReport, type DataReport } from './report.js';
import { UsageError } from '../util/errors.js';

/** Which part of the inputs this process handles: files whose index % count == index. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The shard from --shard i/N, or from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or
 * SLURM_ARRAY_TASK_ID with the total from --shards, ANVIL_SHARDS or SLURM_ARRAY_TASK_COUNT.
 */
export function resolveShard(flag: string | undefined, shards: string | undefined, env: NodeJS.ProcessEnv): Shard {
  let index: number;
  let count: number;
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!m) throw new UsageError(`--shard ${flag}: use i/N, e.g. --shard 0/8`);
    index = Number(m[1]);
    count = Number(m[2]);
  } else {
    const idx = env.JOB_COMPLETION_INDEX ?? env.SLURM_ARRAY_TASK_ID;
    if (idx === undefined) return { index: 0, count: 1 };
    const total = shards ?? env.ANVIL_SHARDS ?? env.SLURM_ARRAY_TASK_COUNT;
    if (total === undefined) throw new UsageError(`shard index ${idx} comes from the environment; give the number of shards with --shards N (or ANVIL_SHARDS)`);
    index = Number(idx) - (env.JOB_COMPLETION_INDEX === undefined ? Number(env.SLURM_ARRAY_TASK_MIN ?? 0) : 0);
    count = Number(total);
  }
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new UsageError(`shard ${index}/${count}: need 0 <= i < N`);
  }
  return { index, count };
}

export interface PrepareOptions {
  inputs: string[];
  out: string;
  config: PipelineConfig;
  shard?: Shard;
  onProgress?: (p: { step: 'filter' | 'dedup' | 'finalize'; done: number; total: number }) => void;
}

export interface PrepareResult {
  /** 'complete' when the report is written; 'waiting' when other shards still have units to do. */
  status: 'complete' | 'waiting';
  units: number;
  unitsDoneHere: number;
  missing: number;
  report?: DataReport;
}

function licenseAndFields(cfg: PipelineConfig, file: string) {
  const src = cfg.sources.find((s) => sourceMatches(s.match, file));
  return { license: src?.license ?? cfg.license, fields: { ...cfg.fields, ...src?.fields } };
}

/**
 * Version of the files a run keeps between steps (markers, work/): a run left by a version
 * that wrote them differently is refused rather than resumed. 2: dedup's removals moved from
 * markers/dedup.json into work/UUUUU.removed.
 */
const RUN_FORMAT = 2;

/** Runs (or resumes) `anvil data prepare`. */
export async function prepare(o: PrepareOptions): Promise<PrepareResult> {
  const { out, config } = o;
  const shard = o.shard ?? { index: 0, count: 1 };
  const inputs = expandInputs(o.inputs);
  // Thread count and dedup's memory budget do not change the output, so a rerun may use others.
  const { workers: _workers, ...settings } = config;
  const { memoryMB: _memoryMB, ...dedupSettings } = config.dedup;
  const manifest = JSON.stringify({ format: 'anvil-data-run', version: RUN_FORMAT, inputs, config: { ...settings, dedup: dedupSettings } }, null, 1);
  if (existsSync(layout.run(out))) {
    const held = readFileSync(layout.run(out), 'utf8');
    if (held !== manifest) {
      const older = !held.includes(`"version": ${RUN_FORMAT},`);
      throw new UsageError(`${out} holds a run ${older ? 'of another anvil version' : 'with other inputs or settings'}; use a new --out folder (or delete ${out})`);
    }
  } else writeFileAtomic(layout.run(out), manifest, false);

  // Temporary files of whole-run steps (run.json, dedup, report) left by a killed run.
  removeStaleTemps(out, 'r');
  removeStaleTemps(join(out, 'markers'), 'dedup.');
  removeStaleTemps(join(out, 'markers'), 'shard-');
  const mine = inputs.map((p, u) => ({ p, u })).filter(({ u }) => u % shard.count === shard.index);
  const todo = mine.filter(({ u }) => !existsSync(layout.filterMarker(out, u)));
  const threads = Math.max(1, Math.min(config.workers || availableParallelism(), todo.length || 1, 64));
  const pool = new Pool(threads);
  try {
    let done = mine.length - todo.length;
    o.onProgress?.({ step: 'filter', done, total: mine.length });
    await Promise.all(
      todo.map(async ({ p, u }) => {
        const { license, fields } = licenseAndFields(config, p);
        await pool.run({ kind: 'unit', task: { out, unit: u, path: p, license, fields, config } });
        o.onProgress?.({ step: 'filter', done: ++done, total: mine.length });
      }),
    );
    writeFileAtomic(layout.shardMarker(out, shard.index, shard.count), '', false);

    const missing = inputs.filter((_, u) => !existsSync(layout.filterMarker(out, u))).length;
    if (missing > 0) return { status: 'waiting', units: inputs.length, unitsDoneHere: todo.length, missing };

    const units = inputs.map((_, u) => u);
    if (!existsSync(layout.dedup(out))) {
      o.onProgress?.({ step: 'dedup', done: 0, total: 1 });
      const d = config.dedup;
      const budgetRows = Math.max(1, Math.floor((d.memoryMB * 2 ** 20) / DEDUP_BYTES_PER_ROW));
      // Each unit's removals go to a binary file beside its candidates (finalize reads its
      // own), then the marker: a kill in between redoes dedup, which writes the same files.
      const summary = dedupUnits(out, units, { bands: d.minhash.bands, exact: d.exact, near: d.near, budgetRows });
      writeFileAtomic(layout.dedup(out), JSON.stringify(summary), false);
      o.onProgress?.({ step: 'dedup', done: 1, total: 1 });
    }
    const dedup = JSON.parse(readFileSync(layout.dedup(out), 'utf8')) as DedupSummary;
    const examples = new Set(dedup.examples.flatMap((e) => [e.kept, ...e.removed]));
    const left = units.filter((u) => !existsSync(layout.finalMarker(out, u)));
    let fin = units.length - left.length;
    await Promise.all(
      left.map(async (u) => {
        const f = JSON.parse(readFileSync(layout.filterMarker(out, u), 'utf8')) as FilterMarker;
        const prefix = String(u).padStart(5, '0') + '-';
        await pool.run({
          kind: 'final',
          task: { out, unit: u, exampleIds: [...examples].filter((id) => id.startsWith(prefix)) },
          candidates: f.candidates,
        });
        o.onProgress?.({ step: 'finalize', done: ++fin, total: units.length });
      }),
    );
    const report = writeReport(out);
    rmSync(layout.work(out), { recursive: true, force: true });
    return { status: 'complete', units: inputs.length, unitsDoneHere: todo.length, missing: 0, report };
  } finally {
    await pool.close();
  }
}
