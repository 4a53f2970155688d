// Shard selection from flags and from Kubernetes / Slurm environments, and loading of a
// pipeline file over the defaults (unknown settings are errors).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveShard } from './pipeline.js';
import { loadConfig, defaultConfig } from './config.js';
import { UsageError } from '../util/errors.js';

test('shard from --shard, JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID', () => {
  assert.deepEqual(resolveShard(undefined, undefined, {}), { index: 0, count: 1 });
  assert.deepEqual(resolveShard('2/8', undefined, { JOB_COMPLETION_INDEX: '5' }), { index: 2, count: 8 });
  assert.deepEqual(resolveShard(undefined, '16', { JOB_COMPLETION_INDEX: '5' }), { index: 5, count: 16 });
  assert.deepEqual(resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' }), { index: 3, count: 4 });
  assert.deepEqual(resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' }), { index: 3, count: 4 });
  assert.deepEqual(resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1', ANVIL_SHARDS: '2' }), { index: 1, count: 2 });
  assert.throws(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' }), UsageError);
  assert.throws(() => resolveShard('8/8', undefined, {}), UsageError);
  assert.throws(() => resolveShard('a/b', undefined, {}), UsageError);
});

test('pipeline file: settings override defaults, per-language overrides, typos rejected', () => {
  const cfg = loadConfig('p.json', JSON.stringify({ license: 'CC-BY-4.0', langs: ['zh'], params: { c4: { minSentences: 3 } }, langParams: { ja: { fineweb: { linePunctThr: 0.05 } } }, dedup: { minhash: { bands: 20, rows: 13 } } }));
  assert.equal(cfg.license, 'CC-BY-4.0');
  assert.equal(cfg.params.c4.minSentences, 3);
  assert.equal(cfg.params.c4.maxWordLength, defaultConfig().params.c4.maxWordLength);
  assert.equal(cfg.langParams.ja!.fineweb!.linePunctThr, 0.05);
  assert.equal(cfg.dedup.minhash.bands, 20);
  assert.throws(() => loadConfig('p.json', JSON.stringify({ params: { c4: { minSentence: 3 } } })), /unknown setting "params.c4.minSentence"/);
  assert.throws(() => loadConfig('p.json', JSON.stringify({ pii: 'yes' })), /must be a boolean/);
  assert.throws(() => loadConfig('p.json', '{'), UsageError);
});

test('a run folder left by another anvil version, or with other settings, is refused, not resumed', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { prepare } = await import('./pipeline.js');
  const root = mkdtempSync(join(tmpdir(), 'anvil-run-format-'));
  try {
    const input = join(root, 'a.jsonl');
    writeFileSync(input, JSON.stringify({ text: 'One small document, written for this test only.' }) + '\n');
    const out = join(root, 'out');
    const config = { ...defaultConfig(), license: 'CC0-1.0', workers: 1 };
    assert.equal((await prepare({ inputs: [input], out, config })).status, 'complete');
    const manifest = readFileSync(join(out, 'run.json'), 'utf8');
    // The same run again is a no-op; a budget for dedup's memory changes nothing in run.json.
    assert.equal((await prepare({ inputs: [input], out, config: { ...config, dedup: { ...config.dedup, memoryMB: 1 } } })).status, 'complete');
    assert.equal(readFileSync(join(out, 'run.json'), 'utf8'), manifest);
    // Version 1 kept dedup's removals in markers/dedup.json: its folders must not be resumed.
    const old = join(root, 'old');
    mkdirSync(old);
    writeFileSync(join(old, 'run.json'), manifest.replace(/"version": \d+,/, '"version": 1,'));
    await assert.rejects(prepare({ inputs: [input], out: old, config }), (e: Error) => e instanceof UsageError && /another anvil version/.test(e.message));
    await assert.rejects(prepare({ inputs: [input], out, config: { ...config, minChars: 5 } }), (e: Error) => e instanceof UsageError && /other inputs or settings/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
