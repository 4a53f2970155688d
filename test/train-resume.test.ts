// Resume: `anvil train` killed with SIGKILL at a random step and resumed with --resume
// gives bit-identical losses and weights to an uninterrupted run of the same length.
// Also: metrics.jsonl lines, checkpoint contents, and clear errors for a checkpoint of a
// different config, for missing or truncated shards, and for a loss that turns NaN.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANVIL, anvil } from './helpers/cli.js';
import { makeTokdir } from './fixtures/tokdir.js';

const root = mkdtempSync(join(tmpdir(), 'anvil-resume-'));
const data = join(root, 'tok');
const ready = makeTokdir(data, { docs: 12, vocabSize: 300, shardTokens: 20000 });
after(() => rmSync(root, { recursive: true, force: true }));

// A tiny model so the whole test stays within seconds on the ref backend.
const STEPS = 12;
const common = (out: string) => [
  'train', '--data', data, '--out', out, '--family', 'llama', '--layers', '2', '--width', '32', '--heads', '2', '--kv-heads', '1',
  '--context', '16', '--batch', '4', '--grad-accum', '2', '--steps', String(STEPS), '--lr', '3e-3', '--warmup', '2',
  '--eval-every', '4', '--eval-windows', '8', '--save-every', '3', '--seed', '7', '--backend', process.env.ANVIL_TEST_BACKEND ?? 'ref', '--threads', '1',
];

interface Line { step: number; loss: number; lr: number; tokensPerSec: number; valLoss?: number }
const metrics = (out: string): Line[] => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

/** Starts training and sends `signal` once metrics.jsonl reaches `step`; resolves with the exit code. */
function killAt(out: string, step: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ANVIL, ...common(out)], { stdio: 'ignore' });
    const timer = setInterval(() => {
      const file = join(out, 'metrics.jsonl');
      if (!existsSync(file)) return;
      const n = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
      if (n >= step) {
        clearInterval(timer);
        child.kill(signal);
      }
    }, 5);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve(code);
    });
    child.on('error', reject);
  });
}

test('SIGKILL at a random step, then --resume: bit-identical losses and weights', async () => {
  await ready;
  const full = join(root, 'full');
  const r = anvil([...common(full), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.steps, STEPS);
  const lines = metrics(full);
  assert.deepEqual(lines.map((l) => l.step), Array.from({ length: STEPS }, (_, i) => i + 1));
  for (const l of lines) for (const k of ['loss', 'lr', 'tokensPerSec']) assert.equal(typeof (l as unknown as Record<string, unknown>)[k], 'number');
  assert.deepEqual(lines.filter((l) => l.valLoss !== undefined).map((l) => l.step), [4, 8, 12]);
  assert.ok(lines[STEPS - 1]!.loss < lines[0]!.loss, 'loss falls');

  const killStep = 4 + Math.floor(Math.random() * 6); // somewhere in steps 4..9
  const cut = join(root, 'cut');
  await killAt(cut, killStep);
  const before = readdirSync(cut).filter((f) => f.startsWith('checkpoint-'));
  assert.ok(before.length > 0, `a checkpoint exists after the kill at step ${killStep}`);
  const resumed = anvil([...common(cut), '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(metrics(cut).map((l) => [l.step, l.loss, l.valLoss]), lines.map((l) => [l.step, l.loss, l.valLoss]), `killed at step ${killStep}`);
  assert.ok(readFileSync(join(cut, 'model.safetensors')).equals(readFileSync(join(full, 'model.safetensors'))), 'weights are bit-identical');
  // Checkpoints keep the last two and are complete HF folders with the trainer state.
  const kept = readdirSync(full).filter((f) => f.startsWith('checkpoint-')).sort();
  assert.deepEqual(kept, ['checkpoint-000009', 'checkpoint-000012']);
  for (const f of ['config.json', 'model.safetensors', 'generation_config.json', 'tokenizer.json', 'optimizer.safetensors', 'trainer_state.json']) {
    assert.ok(existsSync(join(full, 'checkpoint-000012', f)), f);
  }
  assert.ok(existsSync(join(full, 'report.md')) && existsSync(join(full, 'loss.svg')));

  // SIGTERM: a checkpoint of the step it stopped at, exit 143, and the same run after --resume.
  const term = join(root, 'term');
  const code = await killAt(term, 2, 'SIGTERM');
  assert.equal(code, 143);
  const stopped = metrics(term).at(-1)!.step;
  assert.ok(existsSync(join(term, `checkpoint-${String(stopped).padStart(6, '0')}`, 'trainer_state.json')), `checkpoint at step ${stopped}`);
  assert.equal(anvil([...common(term), '--resume']).code, 0);
  assert.deepEqual(metrics(term).map((l) => l.loss), lines.map((l) => l.loss));
});

test('a checkpoint from a different config, and missing or truncated shards, are clear errors', async () => {
  await ready;
  const out = join(root, 'mismatch');
  assert.equal(anvil([...common(out), '--steps', '3']).code, 0);
  const bad = anvil([...common(out), '--width', '64', '--resume']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /checkpoint from a different config: width is 64 here but 32/);
  const again = anvil([...common(out), '--steps', '3']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds checkpoints.*--resume/);
  const none = anvil([...common(join(root, 'empty')), '--resume']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no checkpoint/);

  const broken = join(root, 'broken');
  await makeTokdir(broken, { docs: 3, vocabSize: 300 });
  const shard = join(broken, 'train_000000.bin');
  truncateSync(shard, statSync(shard).size - 3);
  const t = anvil(['train', '--data', broken, '--out', join(root, 'o1'), '--backend', 'ref', '--steps', '1', '--context', '16', '--layers', '1', '--width', '32', '--heads', '2']);
  assert.equal(t.code, 1);
  assert.match(t.stderr, /train_000000\.bin.*truncated/);
  rmSync(shard);
  const m = anvil(['train', '--data', broken, '--out', join(root, 'o2'), '--backend', 'ref', '--steps', '1', '--context', '16', '--layers', '1', '--width', '32', '--heads', '2']);
  assert.equal(m.code, 1);
  assert.match(m.stderr, /train_000000\.bin/);
  const nan = anvil(['train', '--data', data, '--out', join(root, 'nan'), '--backend', 'ref', '--steps', '20', '--context', '16', '--layers', '1', '--width', '32', '--heads', '2', '--batch', '2', '--lr', '1e6', '--clip', '0', '--warmup', '0', '--eval-every', '0']);
  assert.equal(nan.code, 1);
  assert.match(nan.stderr, /loss is (NaN|Infinity|-Infinity) at step \d+/);
  assert.equal(anvil(['train', '--out', 'x']).code, 2);
  assert.equal(anvil(['train', '--data', broken, '--out', 'x', '--family', 'bert']).code, 2);
});
