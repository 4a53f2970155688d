// Team-size tiers: labelled as a rule of thumb, placed by the runs they are read from.

import test from 'node:test';
import assert from 'node:assert/strict';
import { peoplePlan } from './people.js';

test('pretraining tiers follow the published runs they cite', () => {
  assert.equal(peoplePlan('pretrain', 6 * 561e6 * 11.2e9).people, '1'); // nanochat d20
  assert.equal(peoplePlan('pretrain', 6 * 1.1e9 * 3e12).people, '2-4'); // TinyLlama, 1.98e22
  assert.equal(peoplePlan('pretrain', 6 * 1e9 * 300e9).people, '2-4'); // Pythia 1B
  assert.equal(peoplePlan('pretrain', 6 * 6.7e9 * 1e12).people, '5-15'); // LLaMA-1 7B
  assert.equal(peoplePlan('pretrain', 6 * 65.2e9 * 1.4e12).people, '15-50'); // LLaMA-1 65B
  assert.equal(peoplePlan('pretrain', 6 * 69e9 * 2e12).people, '15-50'); // Llama 2 70B
  assert.equal(peoplePlan('pretrain', 3.8e25).people, '50+'); // Llama 3.1 405B
});

test('every plan is labelled a rule of thumb and names the four roles', () => {
  for (const mode of ['pretrain', 'full-finetune', 'lora', 'qlora', 'inference'] as const) {
    const p = peoplePlan(mode, 1e21);
    assert.equal(p.label, 'rule of thumb');
    assert.deepEqual(p.roles.map((r) => r.role), ['model', 'data', 'infrastructure', 'domain expert']);
    assert.ok(p.basis.length > 10);
  }
});
