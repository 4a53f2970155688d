// The memory model against the published figures: ZeRO's 7.5B example, Korthikanti's
// activations, QLoRA's 65B on one 48 GB GPU, KV caches, PEFT's LoRA count.

import test from 'node:test';
import assert from 'node:assert/strict';
import { archFromHfConfig, countParams } from './architecture.js';
import { TRAINING_BYTES } from './catalogue.js';
import { activationBytes, kvCacheBytes, loraParams, memoryPerGpu, modelStates, type MemoryInput } from './memory.js';

const llama = (L: number, C: number, H: number, F: number, ctx = 2048, kv = H) => archFromHfConfig({
  model_type: 'llama', num_hidden_layers: L, hidden_size: C, num_attention_heads: H, num_key_value_heads: kv,
  intermediate_size: F, max_position_embeddings: ctx, vocab_size: 32000,
});
const llama2_7b = llama(32, 4096, 32, 11008, 4096);
const llama1_65b = llama(80, 8192, 64, 22016);

test('ZeRO paper, Figure 1: 7.5B parameters on 64 GPUs need 120 / 31.4 / 16.6 / 1.9 GB per GPU', () => {
  const expected = ['120.0', '31.4', '16.6', '1.9'];
  for (const stage of [0, 1, 2, 3] as const) {
    const s = modelStates(7.5e9, TRAINING_BYTES.bf16, stage, 64);
    assert.equal(((s.weights + s.gradients + s.optimizer) / 1e9).toFixed(1), expected[stage], `stage ${stage}`);
  }
  // the exact values behind the rounding
  const exact = [120, 31.40625, 16.640625, 1.875];
  for (const stage of [0, 1, 2, 3] as const) {
    const s = modelStates(7.5e9, TRAINING_BYTES.bf16, stage, 64);
    assert.equal((s.weights + s.gradients + s.optimizer) / 1e9, exact[stage]);
  }
});

test('Korthikanti et al.: Llama-2-7B shape at s=4096, b=1 keeps 104 / 18 / 1.1 GB of activations', () => {
  assert.equal(Math.round(activationBytes(llama2_7b, 4096, 1, 'none') / 1e9), 104);
  assert.equal(Math.round(activationBytes(llama2_7b, 4096, 1, 'selective') / 1e9), 18);
  assert.equal((activationBytes(llama2_7b, 4096, 1, 'full') / 1e9).toFixed(1), '1.1');
  // fp32 activations take twice the bytes; batch scales linearly
  assert.equal(activationBytes(llama2_7b, 4096, 1, 'selective', 4), 2 * activationBytes(llama2_7b, 4096, 1, 'selective'));
  assert.equal(activationBytes(llama2_7b, 1024, 4, 'selective'), activationBytes(llama2_7b, 4096, 1, 'selective'));
});

const job = (over: Partial<MemoryInput>): MemoryInput => ({
  arch: llama2_7b, params: countParams(llama2_7b), mode: 'full-finetune', precision: 'bf16', checkpointing: 'selective',
  zero: 0, gpus: 1, seqLen: 4096, microBatch: 1, loraRank: 16, ...over,
});

test('a full fine-tune of Llama-2-7B needs 16 x 6.74B = 108 GB of model states: more than one 80 GB GPU', () => {
  const m = memoryPerGpu(job({}));
  assert.equal(Math.round((m.weights + m.gradients + m.optimizer) / 1e9), 108);
  assert.ok(m.total > 80e9);
  // ZeRO-3 over 2 GPUs halves the states but not the activations
  const z3 = memoryPerGpu(job({ zero: 3, gpus: 2 }));
  assert.equal(z3.weights + z3.gradients + z3.optimizer, (m.weights + m.gradients + m.optimizer) / 2);
  assert.equal(z3.activations, m.activations);
});

test('QLoRA: LLaMA-65B fine-tunes in under 48 GB (NF4 base, rank 64 on every linear layer)', () => {
  const params = countParams(llama1_65b);
  assert.ok(Math.abs(params / 65.2e9 - 1) < 0.01);
  const m = memoryPerGpu(job({ arch: llama1_65b, params, mode: 'qlora', checkpointing: 'full', seqLen: 512, loraRank: 64 }));
  assert.ok(m.total < 48e9, `${m.total / 1e9} GB`);
  // the 4-bit base alone is about 32.6 GB + bf16 embeddings; far below the >780 GB of 16-bit fine-tuning
  assert.ok(m.weights > 33e9 && m.weights < 46e9, `${m.weights / 1e9}`);
  const full = memoryPerGpu(job({ arch: llama1_65b, params, mode: 'full-finetune', seqLen: 512 }));
  assert.ok(full.weights + full.gradients + full.optimizer > 780e9);
});

test('LoRA rank 16 on all seven projections of Llama-2-7B: 39,976,960 trainable parameters (PEFT)', () => {
  assert.equal(loraParams(llama2_7b, 16), 39_976_960);
  const m = memoryPerGpu(job({ mode: 'lora', checkpointing: 'full' }));
  assert.equal(m.gradients, 39_976_960 * 4);
  assert.equal(m.optimizer, 39_976_960 * 8);
  assert.ok(m.total < 24e9);
});

test('KV cache: Llama-2-7B 512 KiB per token, OPT-13B 800 KB per token, GQA Llama-3-8B 128 KiB', () => {
  assert.equal(kvCacheBytes(llama2_7b, 1, 1), 512 * 1024);
  const opt13b = llama(40, 5120, 40, 20480);
  assert.equal(kvCacheBytes(opt13b, 1, 1), 819_200);
  assert.equal((kvCacheBytes(opt13b, 2048, 1) / 1e9).toFixed(1), '1.7'); // the paper's "1.6 GB" is GiB-ish: 1.56 GiB
  const llama3_8b = llama(32, 4096, 32, 14336, 8192, 8);
  assert.equal(kvCacheBytes(llama3_8b, 1, 1), 128 * 1024);
});

test('inference memory: bf16 weights plus the cache, split over GPUs', () => {
  const m = memoryPerGpu(job({ mode: 'inference', seqLen: 4096, microBatch: 2 }));
  assert.equal(m.weights, countParams(llama2_7b) * 2);
  assert.equal(m.kvCache, 512 * 1024 * 4096 * 2);
  assert.equal(m.gradients + m.optimizer, 0);
  const two = memoryPerGpu(job({ mode: 'inference', seqLen: 4096, microBatch: 2, gpus: 2 }));
  assert.equal(two.weights, m.weights / 2);
  const q4 = memoryPerGpu(job({ mode: 'inference', precision: 'int4' }));
  assert.ok(q4.weights < m.weights * 0.35);
});
