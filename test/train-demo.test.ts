// `anvil demo` end to end on a slice of the bundled corpus: every stage runs through the
// library functions (data prepare, tokenizer train, tokenize, train, generate, eval),
// samples before and after are printed, and every artifact named exists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anvil } from './helpers/cli.js';

test('anvil demo: the whole journey on a small slice, with artifacts and samples', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'anvil-demo-')), 'demo');
  const r = anvil(['demo', '--out', out, '--docs', '12', '--vocab-size', '400', '--steps', '12', '--threads', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    documents: number; kept: number; steps: number; valLoss: number; valBpb: number; vocabSize: number;
    samplesBefore: { prompt: string; text: string }[]; samplesAfter: { prompt: string; text: string }[]; artifacts: Record<string, string>; license: string;
  };
  assert.equal(j.documents, 12);
  assert.ok(j.kept > 0 && j.kept <= 12);
  assert.equal(j.vocabSize, 400);
  assert.equal(j.steps, 12);
  assert.ok(j.valLoss > 0 && j.valLoss < Math.log(400) + 0.5);
  assert.ok(j.valBpb > 0);
  assert.equal(j.samplesBefore.length, 3);
  assert.equal(j.samplesAfter.length, 3);
  assert.match(j.license, /redistribution permitted/);
  for (const where of Object.values(j.artifacts)) assert.ok(existsSync(where), where);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'generation_config.json', 'report.md']) assert.ok(existsSync(join(out, 'model', f)), f);
  assert.equal(JSON.parse(readFileSync(join(out, 'model', 'config.json'), 'utf8')).architectures[0], 'LlamaForCausalLM');
  assert.ok(existsSync(join(out, 'tokens', 'meta.json')) && existsSync(join(out, 'prepared', 'report.json')));
  assert.match(anvil(['demo', '--help']).stdout, /Example/);
});
