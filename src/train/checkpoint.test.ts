// Tests for checkpoints: HF folder contents, atomic folder rename, keeping the last K,
// and that leftovers of a killed write are never taken for a checkpoint.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestCheckpoint, listCheckpoints, readOptimizer, readTrainerState, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { MetricsWriter, readMetrics } from './metrics.js';
import { lossCurveSvg, reportMarkdown } from './report.js';
import { readSafetensorsFolder } from '../io/safetensors.js';
import type { TransformerConfig } from '../model/config.js';

const cfg: TransformerConfig = { family: 'llama', vocabSize: 8, context: 4, layers: 1, heads: 2, kvHeads: 1, width: 4, hidden: 8, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true };

function state(step: number): TrainerState {
  return { format: 'anvil-trainer-state', version: 1, step, tokensSeen: step * 10, elapsed: 1, data: { mode: 'random', shard: 0, offset: 0, rng: [1, 2, 3, 4] }, model: cfg, train: { lr: 1e-3 } };
}

test('checkpoints are complete HF folders; the last K are kept; temp leftovers are ignored', () => {
  const out = mkdtempSync(join(tmpdir(), 'anvil-ckpt-'));
  const tok = mkdtempSync(join(tmpdir(), 'anvil-tok-'));
  writeFileSync(join(tok, 'tokenizer.json'), '{"version":"1.0"}');
  const weights = new Map([['model.embed_tokens.weight', { shape: [8, 4], data: new Float32Array(32).fill(0.5) }]]);
  const opt = new Map([['m.model.embed_tokens.weight', { shape: [8, 4], data: new Float32Array(32).fill(0.25) }]]);
  mkdirSync(join(out, 'checkpoint-000009.tmp-1234'));
  for (const step of [1, 2, 3]) saveCheckpoint(out, { config: cfg, ids: { bosId: 0, eosId: 0 }, weights, tokenizerDir: tok }, opt, state(step), 2);
  assert.deepEqual(listCheckpoints(out), [2, 3]);
  assert.deepEqual(readdirSync(out).sort(), ['checkpoint-000002', 'checkpoint-000003']);
  const last = latestCheckpoint(out)!;
  assert.ok(last.endsWith('checkpoint-000003'));
  assert.deepEqual(readdirSync(last).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'optimizer.safetensors', 'tokenizer.json', 'trainer_state.json']);
  assert.equal(JSON.parse(readFileSync(join(last, 'config.json'), 'utf8')).architectures[0], 'LlamaForCausalLM');
  assert.equal(readTrainerState(last).step, 3);
  assert.equal(readOptimizer(last).get('m.model.embed_tokens.weight')!.data[0], 0.25);
  assert.equal(readSafetensorsFolder(last).get('model.embed_tokens.weight')!.data[31], 0.5);
  // A folder without trainer_state.json (killed before the rename) does not count.
  mkdirSync(join(out, 'checkpoint-000010'));
  assert.ok(latestCheckpoint(out)!.endsWith('checkpoint-000003'));
  assert.equal(latestCheckpoint(join(out, 'none')), undefined);
});

test('metrics.jsonl: append, tolerate a torn line, truncate after a step on resume', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-metrics-'));
  const w = new MetricsWriter(join(dir, 'metrics.jsonl'));
  for (let s = 1; s <= 5; s++) w.write({ step: s, loss: 5 - s * 0.5, lr: 1e-3, tokensPerSec: 100, ...(s === 4 ? { valLoss: 3.2 } : {}) });
  writeFileSync(join(dir, 'metrics.jsonl'), readFileSync(join(dir, 'metrics.jsonl'), 'utf8') + '{"step":6,"lo');
  assert.equal(readMetrics(join(dir, 'metrics.jsonl')).length, 5);
  w.truncateAfter(3);
  assert.deepEqual(readMetrics(join(dir, 'metrics.jsonl')).map((l) => l.step), [1, 2, 3]);
});

test('report card: SVG curve with both series, and the run figures', () => {
  const metrics = [1, 2, 3, 4].map((s) => ({ step: s, loss: 4 - s * 0.5, lr: 1e-3, tokensPerSec: 100, ...(s % 2 === 0 ? { valLoss: 4 - s * 0.4 } : {}) }));
  const svg = lossCurveSvg(metrics);
  assert.match(svg, /^<svg/);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.equal((svg.match(/<circle /g) ?? []).length, 2);
  const md = reportMarkdown({ title: 'Run', model: { family: 'llama' }, train: { lr: 1e-3 }, params: 1000, flopsPerToken: 6000, steps: 4, tokensSeen: 4096, seconds: 2, metrics, final: { loss: 2, valLoss: 2.4, valBpb: 1.1 }, costs: [{ instance: 'x', pricePerHour: 1.8, seconds: 2, cost: 0.001 }], backend: 'cpu', threads: 2 });
  assert.match(md, /2048 tokens\/s/);
  assert.match(md, /\| x \| 1\.800 \| 2 s \| \$0\.0010 \|/);
  assert.match(md, /validation bits per byte \| 1\.1000/);
});
