// Plan files (JSON and YAML, same keys as the flags) and flag values into a PlanInput.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planInputFromValues, readPlanFile } from './input.js';
import { InputError, UsageError } from '../util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'anvil-plan-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('a YAML plan file with the flag names, suffixes and a language mix', () => {
  const p = write('plan.yaml', 'params: 1.3B\ngpu: h100\ngpus: 8\nseq-len: 2048\nmode: pretrain\nlangs:\n  en: 0.7\n  zh: 0.3\nzero: fsdp\nmfu: 45\nprice: $2.5\n');
  assert.deepEqual(readPlanFile(p), {
    params: 1.3e9, gpu: 'H100-SXM', gpus: 8, seqLen: 2048, mode: 'pretrain', langs: { en: 0.7, zh: 0.3 }, zero: 3, mfu: 0.45, price: 2.5,
  });
});

test('a JSON plan file with camelCase keys and a config.json next to it', () => {
  write('config.json', JSON.stringify({ model_type: 'gpt2', n_layer: 12, n_embd: 768, n_head: 12, n_positions: 1024, vocab_size: 50257 }));
  const p = write('plan.json', JSON.stringify({ config: 'config.json', tokensPerParam: 10, microBatch: 4, langs: ['en', 'zh'] }));
  const input = readPlanFile(p);
  assert.equal(input.hfConfig?.model_type, 'gpt2');
  assert.equal(input.tokensPerParam, 10);
  assert.equal(input.microBatch, 4);
  assert.deepEqual(input.langs, { en: 0.5, zh: 0.5 });
});

test('a bad field in a plan file is an InputError naming the file and the field', () => {
  const bad = (name: string, text: string, re: RegExp) => {
    const p = write(name, text);
    assert.throws(() => readPlanFile(p), (e: unknown) => e instanceof InputError && e.message.startsWith(p) && re.test(e.message), name);
  };
  bad('a.yaml', 'params: 7Q\n', /field "params": "7Q" is not a count; use a number with an optional K, M, B or T suffix/);
  bad('b.yaml', 'gpus: many\n', /field "gpus": "many" is not a number/);
  bad('c.yaml', 'gpu: H900\n', /field "gpu": unknown GPU "H900"; accepted: A100-40GB/);
  bad('d.yaml', 'mode: pretrian\n', /field "mode": "pretrian" is not accepted; accepted: pretrain, full-finetune, lora, qlora, inference/);
  bad('e.yaml', 'paramz: 7B\n', /unknown field "paramz"; accepted: params, family/);
  bad('f.yaml', 'params: -7\n', /field "params": -7 must be a positive count/);
  bad('g.yaml', 'params: [1\n', /not valid YAML/);
  bad('h.json', '{"params": }', /not valid JSON/);
  bad('i.yaml', '- 1\n- 2\n', /one mapping of keys/);
  bad('j.yaml', 'config: missing.json\n', /field "config": .*missing\.json: cannot read the model config/);
  assert.throws(() => readPlanFile(join(dir, 'nope.yaml')), (e: unknown) => e instanceof InputError && /cannot read the plan file \(ENOENT\)/.test(e.message));
});

test('flag values: the same parsing, errors as usage errors naming the flag', () => {
  assert.deepEqual(planInputFromValues({ params: '7B', 'seq-len': '4096', checkpointing: 'FULL' }), { params: 7e9, seqLen: 4096, checkpointing: 'full' });
  assert.throws(() => planInputFromValues({ params: '7Q' }), (e: unknown) => e instanceof UsageError && /^--params: "7Q" is not a count/.test(e.message));
  assert.throws(() => planInputFromValues({ zero: '4' }), /--zero: "4" is not accepted; accepted: 0, 1, 2, 3, fsdp/);
  assert.throws(() => planInputFromValues({ precision: 'fp4' }), /accepted: fp32, bf16, fp8, int8, int4/);
});
