// `anvil plan` end to end: the checks the issue lists, the --json contract, exit codes.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anvil } from './helpers/cli.js';

const json = (args: string[]) => {
  const r = anvil(['plan', ...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on one line');
  return JSON.parse(lines[0]!);
};

test('plan --json prints one object with the contract keys', () => {
  const o = json(['--params', '1.3B', '--gpu', 'A100', '--gpus', '8']);
  for (const k of ['params', 'tokens', 'flops', 'gpuHours', 'wallClockHours', 'costUsd', 'fits', 'memoryPerGpuGB', 'suggestions']) assert.ok(k in o, k);
  for (const k of ['weights', 'gradients', 'optimizer', 'activations', 'total']) assert.equal(typeof o.memoryPerGpuGB[k], 'number', k);
  assert.equal(o.params, 1.3e9);
  assert.equal(o.tokens, 26e9);
  assert.equal(typeof o.fits, 'boolean');
  assert.ok(Array.isArray(o.suggestions));
});

test('7B full fine-tune on one A100-80GB: does not fit, and says what would', () => {
  const o = json(['--params', '7B', '--mode', 'full-finetune', '--gpu', 'A100-80GB', '--gpus', '1']);
  assert.equal(o.fits, false);
  assert.ok(o.suggestions.length >= 3);
  assert.ok(o.suggestions.some((s: string) => /ZeRO-3/.test(s)) && o.suggestions.some((s: string) => /qlora/i.test(s)));
  const human = anvil(['plan', '--params', '7B', '--mode', 'full-finetune', '--gpu', 'A100-80GB', '--gpus', '1']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /Verdict: does not fit on 1 x A100-80GB/);
  assert.match(human.stdout, /What would fit:/);
  assert.match(human.stdout, /Memory per GPU/);
  assert.match(human.stdout, /People \(rule of thumb\)/);
});

test('7B QLoRA on an RTX-4090: fits', () => {
  const r = anvil(['plan', '--params', '7B', '--mode', 'qlora', '--gpu', 'RTX-4090']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Verdict: fits on 1 x RTX-4090/);
});

test("--budget 100 on 8 x H100: about half a billion parameters in about four hours (nanochat's $100 run)", () => {
  const o = json(['--budget', '100', '--gpu', 'H100', '--gpus', '8']);
  assert.ok(o.params > 0.4e9 && o.params < 0.8e9, `${o.params}`);
  assert.ok(o.wallClockHours > 3.5 && o.wallClockHours < 4.2, `${o.wallClockHours}`);
  assert.ok(o.costUsd <= 100);
  assert.equal(o.budget.proposed, true);
  const human = anvil(['plan', '--budget', '100', '--gpu', 'H100', '--gpus', '8', '--langs', 'en,zh']);
  assert.match(human.stdout, /Proposed for \$100/);
  assert.match(human.stdout, /zh\s+50%/);
});

test('bad input exits 2 with a one-line message listing what is accepted', () => {
  const cases: [string[], RegExp][] = [
    [['--params', '7B', '--gpu', 'H900'], /unknown GPU "H900"; accepted: A100-40GB, A100-80GB, H100-SXM, H100-PCIe, H200, L40S, RTX-3090, RTX-4090, RTX-5090/],
    [['--params', '-7B'], /--params: "-7B" is not a count; use a number with an optional K, M, B or T suffix/],
    [['--params', '7Q'], /--params: "7Q" is not a count; use a number with an optional K, M, B or T suffix \(e\.g\. 1\.3B, 26B, 500M\)/],
    [['--params', '7B', '--mode', 'train'], /--mode: "train" is not accepted; accepted: pretrain, full-finetune, lora, qlora, inference/],
    [['--params', '7B', '--langs', 'en,xx'], /unknown language "xx"; accepted: en, zh/],
    [[], /no model given; use --params/],
  ];
  for (const [args, re] of cases) {
    const r = anvil(['plan', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('a plan file, flags overriding it; a bad field names the file and field (exit 1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-plan-cli-'));
  const good = join(dir, 'plan.yaml');
  writeFileSync(good, 'params: 1.3B\ngpu: A100\ngpus: 8\n');
  const a = json([good]);
  assert.equal(a.params, 1.3e9);
  assert.equal(a.hardware.gpus, 8);
  const b = json(['--file', good, '--gpus', '16']);
  assert.equal(b.hardware.gpus, 16);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'params: 1.3B\ngpus: eight\n');
  const r = anvil(['plan', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: field "gpus": "eight" is not a number`));
});

test('plan --help shows an example', () => {
  const r = anvil(['plan', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Example/);
  assert.match(r.stdout, /--budget/);
});
