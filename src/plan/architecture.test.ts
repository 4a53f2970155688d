// Shapes and parameter counts against the published Hugging Face models.

import test from 'node:test';
import assert from 'node:assert/strict';
import { archForParams, archFromHfConfig, countParams, deriveArch, flopsPerToken } from './architecture.js';
import { UsageError } from '../util/errors.js';

const gpt2Config = (n_layer: number, n_embd: number, n_head: number) => ({
  model_type: 'gpt2', n_layer, n_embd, n_head, n_positions: 1024, n_ctx: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5,
});

const llama2_7b = {
  model_type: 'llama', hidden_size: 4096, intermediate_size: 11008, num_attention_heads: 32, num_hidden_layers: 32,
  num_key_value_heads: 32, max_position_embeddings: 4096, vocab_size: 32000, rms_norm_eps: 1e-5, tie_word_embeddings: false,
};
const tinyLlama = {
  model_type: 'llama', hidden_size: 2048, intermediate_size: 5632, num_attention_heads: 32, num_hidden_layers: 22,
  num_key_value_heads: 4, max_position_embeddings: 2048, vocab_size: 32000, rms_norm_eps: 1e-5, rope_theta: 10000,
};
const smolLM135M = {
  model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_attention_heads: 9, num_hidden_layers: 30,
  num_key_value_heads: 3, max_position_embeddings: 2048, vocab_size: 49152, rms_norm_eps: 1e-5, tie_word_embeddings: true,
};
const mistral7B = {
  model_type: 'mistral', hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32, num_hidden_layers: 32,
  num_key_value_heads: 8, max_position_embeddings: 32768, vocab_size: 32000, rms_norm_eps: 1e-5, rope_theta: 1000000,
};

test('countParams matches the published Hugging Face counts', () => {
  assert.equal(countParams(archFromHfConfig(gpt2Config(12, 768, 12))), 124_439_808); // gpt2
  assert.equal(countParams(archFromHfConfig(gpt2Config(24, 1024, 16))), 354_823_168); // gpt2-medium
  assert.equal(countParams(archFromHfConfig(gpt2Config(36, 1280, 20))), 774_030_080); // gpt2-large
  assert.equal(countParams(archFromHfConfig(gpt2Config(48, 1600, 25))), 1_557_611_200); // gpt2-xl
  assert.equal(countParams(archFromHfConfig(llama2_7b)), 6_738_415_616);
  assert.equal(countParams(archFromHfConfig(tinyLlama)), 1_100_048_384);
  assert.equal(countParams(archFromHfConfig(smolLM135M)), 134_515_008);
  assert.equal(countParams(archFromHfConfig(mistral7B)), 7_241_732_096);
});

test('depth 12 of the gpt2 family is GPT-2 small', () => {
  const a = deriveArch('gpt2', 12);
  assert.deepEqual(a, archFromHfConfig(gpt2Config(12, 768, 12)));
  assert.equal(countParams(a), 124_439_808);
});

test('the depth rule: width = 64 x depth, 64-wide heads, 128-wide from width 2048 in llama', () => {
  const d20 = deriveArch('llama', 20);
  assert.equal(d20.width, 1280);
  assert.equal(d20.heads, 20);
  assert.equal(d20.headDim, 64);
  assert.equal(d20.mlpHidden, 3456); // 8/3 * 1280 = 3413.3, rounded up to a multiple of 64
  assert.equal(d20.mlpHidden % 64, 0);
  assert.equal(d20.tiedEmbeddings, false);
  const d32 = deriveArch('llama', 32);
  assert.equal(d32.width, 2048);
  assert.equal(d32.headDim, 128);
  assert.equal(d32.heads, 16);
  const d33 = deriveArch('llama', 33); // 2112 is not a multiple of 128: width rounds up
  assert.equal(d33.width, 2176);
  assert.equal(d33.heads * d33.headDim, d33.width);
  // params grow with depth
  for (let d = 1; d < 60; d++) assert.ok(countParams(deriveArch('llama', d + 1)) > countParams(deriveArch('llama', d)));
});

test('overrides replace derived fields and what follows from them', () => {
  const a = deriveArch('llama', 8, { width: 1024, kvHeads: 4, context: 4096, vocabSize: 50000, tiedEmbeddings: true });
  assert.equal(a.heads, 16);
  assert.equal(a.kvHeads, 4);
  assert.equal(a.mlpHidden, 2752);
  assert.equal(a.context, 4096);
  assert.equal(countParams(a), countParams(archFromHfConfig({
    model_type: 'llama', hidden_size: 1024, intermediate_size: 2752, num_attention_heads: 16, num_hidden_layers: 8,
    num_key_value_heads: 4, max_position_embeddings: 4096, vocab_size: 50000, tie_word_embeddings: true,
  })));
  assert.equal(deriveArch('llama', 8, { heads: 8 }).headDim, 64);
});

test('bad shapes and configs are usage errors naming the field', () => {
  assert.throws(() => deriveArch('llama', 0), UsageError);
  assert.throws(() => deriveArch('llama', 2.5), UsageError);
  assert.throws(() => deriveArch('bert' as 'gpt2', 4), /accepted: gpt2, llama/);
  assert.throws(() => deriveArch('llama', 4, { kvHeads: 3 }), /multiple of kvHeads/);
  assert.throws(() => archFromHfConfig({ model_type: 'llama', hidden_size: 64 }), /missing field "num_attention_heads"/);
  assert.throws(() => archFromHfConfig({ ...llama2_7b, hidden_size: '4096' }), /"hidden_size" must be a number/);
  assert.throws(() => archFromHfConfig({ model_type: 'bert' }), /model_type "bert" is not supported; accepted: gpt2, llama, mistral/);
});

test('flopsPerToken: 6 x matmul parameters plus 12 L H D T attention', () => {
  const a = deriveArch('gpt2', 12);
  const f = flopsPerToken(a, 1024);
  // every parameter except the 1024 x 768 position table; the tied embedding counts once
  assert.equal(f.dense, 6 * (124_439_808 - 1024 * 768));
  assert.equal(f.attention, 12 * 12 * 768 * 1024);
  assert.equal(f.total, f.dense + f.attention);
  // untied llama: the input table is a lookup, lm_head is a matmul
  const l = archFromHfConfig(llama2_7b);
  assert.equal(flopsPerToken(l, 4096).dense, 6 * (6_738_415_616 - 32000 * 4096));
  assert.equal(flopsPerToken(l).attention, 12 * 32 * 4096 * 4096);
});

test("GPT-3's training compute: 3.14e23 FLOPs (175B parameters, 300B tokens)", () => {
  const gpt3 = archFromHfConfig({ ...gpt2Config(96, 12288, 96), n_positions: 2048 });
  assert.ok(Math.abs(countParams(gpt3) / 175e9 - 1) < 0.01);
  const flops = flopsPerToken(gpt3, 2048).dense * 300e9; // the paper leaves attention out
  assert.ok(Math.abs(flops / 3.14e23 - 1) < 0.01, `${flops}`);
});

test('archForParams finds the depth-rule model nearest a size', () => {
  assert.equal(archForParams(124e6, 'gpt2').layers, 12);
  const a = archForParams(7e9, 'llama');
  assert.ok(Math.abs(countParams(a) / 7e9 - 1) < 0.1);
  assert.equal(archForParams(7e9, 'llama', { context: 4096 }).context, 4096);
});
