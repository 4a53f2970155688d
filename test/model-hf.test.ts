// Interop: config.json keys and tensor names/shapes are those of transformers' GPT-2 and
// Llama classes, checked against the list in test/fixtures/hf-names.json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canonicalName, configFromHf, generationConfigJson, hfConfigJson, hfTensorShapes } from '../src/io/hf.js';
import type { TransformerConfig } from '../src/model/config.js';
import { InputError } from '../src/util/errors.js';

interface FamilyFixture {
  architectures: string[];
  model_type: string;
  config_keys: string[];
  config: Record<string, number | boolean>;
  tensors: [string, number[]][];
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/hf-names.json', import.meta.url), 'utf8')) as Record<'gpt2' | 'llama', FamilyFixture>;

const tinyGpt2: TransformerConfig = { family: 'gpt2', vocabSize: 99, context: 64, layers: 2, heads: 4, kvHeads: 4, width: 32, hidden: 128, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true };
const tinyLlama: TransformerConfig = { family: 'llama', vocabSize: 99, context: 64, layers: 2, heads: 4, kvHeads: 2, width: 32, hidden: 64, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false };

for (const [family, cfg] of [['gpt2', tinyGpt2], ['llama', tinyLlama]] as const) {
  test(`${family}: config.json has every key transformers documents, with the fixture's values`, () => {
    const f = fixture[family];
    const json = hfConfigJson(cfg, { bosId: 1, eosId: 2 });
    assert.deepEqual(json.architectures, f.architectures);
    assert.equal(json.model_type, f.model_type);
    for (const key of f.config_keys) assert.ok(key in json, `missing config key ${key}`);
    for (const [k, v] of Object.entries(f.config)) assert.equal(json[k], v, k);
    assert.deepEqual(configFromHf(json), cfg);
  });

  test(`${family}: tensor names and shapes equal transformers' state_dict`, () => {
    assert.deepEqual(hfTensorShapes(cfg), fixture[family].tensors);
  });
}

test('GPT-2 hub names without the transformer. prefix and mask buffers map to anvil names', () => {
  assert.equal(canonicalName(tinyGpt2, 'h.0.attn.c_attn.weight'), 'transformer.h.0.attn.c_attn.weight');
  assert.equal(canonicalName(tinyGpt2, 'wte.weight'), 'transformer.wte.weight');
  assert.equal(canonicalName(tinyGpt2, 'h.0.attn.bias'), undefined);
  assert.equal(canonicalName(tinyGpt2, 'lm_head.weight'), undefined);
  assert.equal(canonicalName(tinyLlama, 'lm_head.weight'), 'lm_head.weight');
  assert.equal(canonicalName(tinyLlama, 'model.layers.0.self_attn.rotary_emb.inv_freq'), undefined);
});

test('real-world config variants: gpt2 n_ctx, llama defaults and rope_parameters', () => {
  const gpt2 = configFromHf({ model_type: 'gpt2', vocab_size: 50257, n_ctx: 1024, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, activation_function: 'gelu_new' });
  assert.equal(gpt2.hidden, 3072);
  const llama = configFromHf({ architectures: ['LlamaForCausalLM'], vocab_size: 32000, hidden_size: 64, intermediate_size: 172, num_hidden_layers: 2, num_attention_heads: 4, rope_parameters: { rope_type: 'default', rope_theta: 500000 } });
  assert.equal(llama.kvHeads, 4);
  assert.equal(llama.ropeTheta, 500000);
  assert.equal(llama.normEps, 1e-6);
  assert.throws(() => configFromHf({ model_type: 'bert' }, 'x/config.json'), (e: unknown) => e instanceof InputError && /x\/config.json.*bert/.test(e.message));
  assert.throws(() => configFromHf({ model_type: 'llama', vocab_size: 10, hidden_size: 30, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 4 }), /divisible/);
  assert.throws(() => configFromHf({ model_type: 'gpt2', n_embd: 8 }), /vocab_size/);
});

test('generation_config.json carries the special ids', () => {
  const g = generationConfigJson({ bosId: 0, eosId: 0, padId: 3 });
  assert.equal(g.eos_token_id, 0);
  assert.equal(g.pad_token_id, 3);
  assert.equal(g._from_model_config, true);
});
